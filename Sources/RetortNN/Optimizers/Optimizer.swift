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

    /// Calls `body` for every parameter that requires and has a gradient, with its group's weight
    /// decay (the group's override, or `weightDecay`).
    func forEachUpdate(weightDecay: Double, _ body: (_ parameter: Tensor, _ gradient: Tensor, _ weightDecay: Double) throws -> Void) rethrows {
        for group in groups {
            for parameter in group.parameters where parameter.requiresGrad {
                guard let gradient = parameter.grad else { continue }
                try body(parameter, gradient, group.weightDecay ?? weightDecay)
            }
        }
    }
}

extension Module {
    /// Parameter names by tensor identity, for optimizer state.
    public func parameterNamesByIdentity() -> [ObjectIdentifier: String] {
        Dictionary(namedParameters().map { (ObjectIdentifier($0.tensor), $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Reads `count` floats of a state entry, or throws naming the key.
func stateValues(_ state: SafeTensors, _ key: String, count: Int) throws -> [Float] {
    guard let tensor = state[key], tensor.elementCount == count else {
        throw StateDictMismatch(expected: [key: [count]], found: state[key].map { [key: $0.shape] } ?? [:], source: "optimizer state")
            ?? ModelError.invalidConfiguration("optimizer state: \(key) is missing or misshaped")
    }
    return tensor.floats()
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
