import Retort

/// Updates parameters from their accumulated gradients, in place on the device.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step (set it from a ``LearningRateSchedule`` each step or epoch).
    var learningRate: Double { get set }
    /// The parameters it updates, by group.
    var groups: [ParameterGroup] { get }
    /// Records one update of every parameter that has a gradient.
    func step() throws
    /// The per-parameter state (momentum, moments, step counts) under `<parameter name>.<state>`
    /// keys, PyTorch's state names (`momentum_buffer`, `exp_avg`, `exp_avg_sq`, `step`).
    func state(parameterNames: [ObjectIdentifier: String]) throws -> SafeTensors
    /// Restores what ``state(parameterNames:)`` saved.
    func loadState(_ state: SafeTensors, parameterNames: [ObjectIdentifier: String]) throws
}

extension Optimizer {
    /// Zeroes every parameter's gradient (keeping the buffers).
    public func zeroGrad() throws {
        for group in groups { for parameter in group.parameters { try parameter.zeroGrad() } }
    }
}

extension Module {
    /// Parameter names by tensor identity, for optimizer state.
    public func parameterNamesByIdentity() -> [ObjectIdentifier: String] {
        Dictionary(namedParameters().map { (ObjectIdentifier($0.tensor), $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A state entry of `parameter`'s element count as a tensor of its shape on its context, or throws
/// naming the key.
func stateTensor(_ state: SafeTensors, _ key: String, of parameter: Tensor) throws -> Tensor {
    let count = parameter.count
    guard let tensor = state[key], tensor.elementCount == count else {
        throw StateDictMismatch(expected: [key: [count]], found: state[key].map { [key: $0.shape] } ?? [:], source: "optimizer state")
            ?? ModelError.invalidConfiguration("optimizer state: \(key) is missing or misshaped")
    }
    return try Tensor(tensor.floats(), shape: parameter.shape, context: parameter.context)
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
