import Foundation

/// Multiplies the rate by `gamma` every `stepSize` epochs — PyTorch's
/// `StepLR(optimizer, step_size, gamma)` stepped once per epoch:
/// `lr(epoch) = base · gamma^(epoch / stepSize)` (integer division).
public struct StepSchedule: LearningRateSchedule, Equatable {
    public let baseLearningRate: Double
    /// Epochs between drops (PyTorch's `step_size`; not an iteration count).
    public let stepSize: Int
    public let gamma: Double

    public init(baseLearningRate: Double, stepSize: Int, gamma: Double = 0.1) throws(LearningRateScheduleError) {
        try validateLearningRate(baseLearningRate)
        guard stepSize > 0 else {
            throw .invalidOption(option: "step-size", value: "\(stepSize)", expected: "a positive number of epochs")
        }
        try validateGamma(gamma)
        self.baseLearningRate = baseLearningRate
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int) -> Double {
        checkPosition(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
        return baseLearningRate * pow(gamma, Double(epoch / stepSize))
    }

    public var description: String {
        "step(lr=\(compactDescription(of: baseLearningRate)), step-size=\(stepSize), gamma=\(compactDescription(of: gamma)))"
    }
}
