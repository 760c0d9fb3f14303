import Foundation

/// Half a cosine from the base rate down to `minimumLearningRate` over `annealingEpochs` — PyTorch's
/// `CosineAnnealingLR(optimizer, T_max, eta_min)` in its closed form (`_get_closed_form_lr`):
/// `lr(t) = eta_min + (base − eta_min) · (1 + cos(π · t / T_max)) / 2`.
///
/// Per epoch (the default) `t` is the epoch and `T_max = annealingEpochs`, as with
/// `scheduler.step()` once per epoch. With `perStep`, `t = epoch · stepsPerEpoch + step` and
/// `T_max = annealingEpochs · stepsPerEpoch`: PyTorch's scheduler built with that `T_max` and
/// stepped once per iteration. As in PyTorch's closed form, past `T_max` the cosine continues
/// (the rate rises again), so `T_max` is normally the run length.
public struct CosineAnnealingSchedule: LearningRateSchedule, Equatable {
    public let baseLearningRate: Double
    /// PyTorch's `T_max`, in epochs.
    public let annealingEpochs: Int
    /// PyTorch's `eta_min`.
    public let minimumLearningRate: Double
    /// Whether the rate moves every iteration rather than once per epoch.
    public let perStep: Bool

    public init(baseLearningRate: Double, annealingEpochs: Int, minimumLearningRate: Double = 0,
                perStep: Bool = false) throws(LearningRateScheduleError) {
        try validateLearningRate(baseLearningRate)
        guard annealingEpochs > 0 else {
            throw .invalidOption(option: "t-max", value: "\(annealingEpochs)", expected: "a positive number of epochs")
        }
        try validateLearningRate(minimumLearningRate, option: "eta-min")
        self.baseLearningRate = baseLearningRate
        self.annealingEpochs = annealingEpochs
        self.minimumLearningRate = minimumLearningRate
        self.perStep = perStep
    }

    public func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int) -> Double {
        checkPosition(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
        let time = perStep ? Double(epoch * stepsPerEpoch + step) : Double(epoch)
        let length = perStep ? Double(annealingEpochs * stepsPerEpoch) : Double(annealingEpochs)
        return minimumLearningRate + (baseLearningRate - minimumLearningRate) * (1 + cos(Double.pi * time / length)) / 2
    }

    public var description: String {
        "cosine(lr=\(compactDescription(of: baseLearningRate)), t-max=\(annealingEpochs), eta-min=\(compactDescription(of: minimumLearningRate))\(perStep ? ", per step" : ""))"
    }
}
