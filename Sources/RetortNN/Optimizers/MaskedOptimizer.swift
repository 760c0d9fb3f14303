import Retort

/// Any optimizer with pruning masks held: before each step the masked parameters' gradients are
/// multiplied by their masks (so momentum buffers and Adam moments never take in a pruned
/// position), and after it the weights are (so nothing the wrapped update does — weight decay, a
/// momentum restored from dense training — can revive one). Both products run in place on the
/// device. Pruned weights stay exactly 0 through SGD (momentum, Nesterov, weight decay) and AdamW.
///
/// This is what `torch.nn.utils.prune` achieves with `weight = weight_orig * weight_mask`, without
/// the reparametrization: the stored weight is the pruned weight, so checkpoints are plain
/// `state_dict`s with zeros in place.
///
/// ```swift
/// let optimizer = try MaskedOptimizer(wrapping: sgd, masks: masks, model: model)
/// ```
public final class MaskedOptimizer: Optimizer {
    /// The optimizer doing the updates.
    public let base: any Optimizer
    public let masks: PruningMasks
    private let bound: [(parameter: Tensor, mask: Tensor)]

    /// - Parameters: `model` owns the masked parameters (by name); they must be among `base`'s.
    ///   Throws naming any mask that matches no parameter of `model` or that `base` does not update.
    public init(wrapping base: any Optimizer, masks: PruningMasks, model: any Module) throws {
        self.base = base
        self.masks = masks
        bound = try masks.deviceMasks(for: model)
        let updated = Set(base.groups.flatMap { $0.parameters.map(ObjectIdentifier.init) })
        let names = model.parameterNamesByIdentity()
        let outside = bound.filter { !updated.contains(ObjectIdentifier($0.parameter)) }.compactMap { names[ObjectIdentifier($0.parameter)] }
        guard outside.isEmpty else {
            throw PruningError.modelMismatch(source: nil, problems: outside.map { "\($0): masked, but the optimizer does not update it" })
        }
    }

    public var learningRate: Double {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    public var groups: [ParameterGroup] { base.groups }

    public func step() throws {
        for (parameter, mask) in bound { try parameter.grad?.multiplyInPlace(by: mask) }
        try base.step()
        try reapplyMasks()
    }

    /// Multiplies every masked weight by its mask (after loading weights, or after a step).
    public func reapplyMasks() throws {
        for (parameter, mask) in bound { try parameter.multiplyInPlace(by: mask) }
    }

    public func state(parameterNames: [ObjectIdentifier: String]) throws -> SafeTensors {
        try base.state(parameterNames: parameterNames)
    }

    public func loadState(_ state: SafeTensors, parameterNames: [ObjectIdentifier: String]) throws {
        try base.loadState(state, parameterNames: parameterNames)
    }
}
