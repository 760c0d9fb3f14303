import Foundation

/// Multiplies the rate by `gamma` at each milestone epoch — PyTorch's
/// `MultiStepLR(optimizer, milestones, gamma)` stepped once per epoch:
/// `lr(epoch) = base · gamma^(number of milestones ≤ epoch)`.
///
/// The CIFAR distillation recipe (RepDistiller, mdistiller, CRD): base 0.05, milestones
/// `[150, 180, 210]`, gamma 0.1 → epochs 0–149: 0.05, 150–179: 0.005, 180–209: 0.0005, 210…: 0.00005.
/// A milestone listed twice applies twice, as in PyTorch.
public struct MultiStepSchedule: LearningRateSchedule, Equatable {
    public let baseLearningRate: Double
    /// The epochs at which the rate drops, sorted.
    public let milestones: [Int]
    public let gamma: Double

    public init(baseLearningRate: Double, milestones: [Int], gamma: Double = 0.1) throws(LearningRateScheduleError) {
        try validateLearningRate(baseLearningRate)
        if let negative = milestones.first(where: { $0 < 0 }) {
            throw .invalidOption(option: "milestones", value: "\(negative)", expected: "non-negative epochs")
        }
        try validateGamma(gamma)
        self.baseLearningRate = baseLearningRate
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }

    public func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int) -> Double {
        checkPosition(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
        let passed = milestones.prefix { $0 <= epoch }.count  // bisect_right(milestones, epoch)
        return baseLearningRate * pow(gamma, Double(passed))
    }

    public var description: String {
        "multistep(lr=\(compactDescription(of: baseLearningRate)), milestones=\(milestones), gamma=\(compactDescription(of: gamma)))"
    }
}

/// Throws unless `gamma` is a finite positive factor.
func validateGamma(_ gamma: Double) throws(LearningRateScheduleError) {
    guard gamma.isFinite, gamma > 0 else {
        throw .invalidOption(option: "gamma", value: "\(gamma)", expected: "a finite positive factor")
    }
}
