import Retort

/// Updates parameters from their accumulated gradients, in place on the device.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step (set it from a ``LearningRateSchedule`` each step or epoch).
    var learningRate: Double { get set }
    /// Records one update of every parameter that has a gradient.
    func step() throws
    /// Zeroes every parameter's gradient.
    func zeroGrad() throws
}

/// Parameters that share hyper-parameters, like a PyTorch parameter group (for example, no weight
/// decay on batch-norm parameters, or a frozen part left out entirely).
public struct ParameterGroup {
    public var parameters: [Tensor]
    /// Overrides the optimizer's weight decay for this group.
    public var weightDecay: Double?

    public init(_ parameters: [Tensor], weightDecay: Double? = nil) {
        self.parameters = parameters
        self.weightDecay = weightDecay
    }
}
