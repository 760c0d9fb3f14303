import Retort

/// The hyper-parameters of a ``ConfigurableOptimizer``: at least a learning rate (which a schedule
/// sets between steps) and a weight decay (which a ``ParameterGroup`` may override).
public protocol OptimizerOptions: Sendable {
    var learningRate: Double { get set }
    var weightDecay: Double { get set }
}

extension SGDOptions: OptimizerOptions {}
extension AdamWOptions: OptimizerOptions {}

/// An optimizer configured by one options value, like a PyTorch optimizer's `defaults`, that
/// updates each parameter group with one multi-tensor step (``SGDOptimizer``, ``AdamWOptimizer``).
public protocol ConfigurableOptimizer: Optimizer {
    associatedtype Options: OptimizerOptions
    /// The hyper-parameters of the next step.
    var options: Options { get set }
    init(_ groups: [ParameterGroup], options: Options, context: Context) throws
}

extension ConfigurableOptimizer {
    /// One group of `parameters`.
    public init(parameters: [Tensor], options: Options, context: Context) throws {
        try self.init([ParameterGroup(parameters)], options: options, context: context)
    }

    public var learningRate: Double {
        get { options.learningRate }
        set { options.learningRate = newValue }
    }

    /// Calls `body` once for every group with a parameter that requires and has a gradient: those
    /// parameters (in the group's order) with their gradients, and the group's options (its weight
    /// decay, if it overrides it).
    func forEachGroup(_ body: (_ updates: [(parameter: Tensor, gradient: Tensor)], _ options: Options) throws -> Void) rethrows {
        for group in groups {
            let updates = group.parameters.compactMap { parameter in parameter.requiresGrad ? parameter.grad.map { (parameter, $0) } : nil }
            guard !updates.isEmpty else { continue }
            var groupOptions = options
            groupOptions.weightDecay = group.weightDecay ?? options.weightDecay
            try body(updates, groupOptions)
        }
    }

    /// Calls `body` for every parameter of every group that has a name in `parameterNames` (for
    /// saving and loading per-parameter state).
    func forEachNamedParameter(_ parameterNames: [ObjectIdentifier: String],
                               _ body: (_ parameter: Tensor, _ name: String) throws -> Void) rethrows {
        for group in groups {
            for parameter in group.parameters {
                guard let name = parameterNames[ObjectIdentifier(parameter)] else { continue }
                try body(parameter, name)
            }
        }
    }
}
