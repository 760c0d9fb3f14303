/// The same learning rate for the whole run (no scheduler in PyTorch terms).
public struct ConstantSchedule: LearningRateSchedule, Equatable {
    public let baseLearningRate: Double

    public init(learningRate: Double) throws(LearningRateScheduleError) {
        try validateLearningRate(learningRate)
        baseLearningRate = learningRate
    }

    public func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int) -> Double {
        checkPosition(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
        return baseLearningRate
    }

    public var description: String { "constant(lr=\(compactDescription(of: baseLearningRate)))" }
}

/// Throws unless `value` is a finite, non-negative learning rate.
func validateLearningRate(_ value: Double, option: String = "lr") throws(LearningRateScheduleError) {
    guard value.isFinite, value >= 0 else {
        throw .invalidOption(option: option, value: "\(value)", expected: "a finite non-negative number")
    }
}
