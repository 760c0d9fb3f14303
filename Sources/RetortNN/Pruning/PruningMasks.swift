import Retort

/// Unstructured pruning masks: one 0/1 array per pruned weight, keyed by the weight's PyTorch
/// parameter name (`layers.0.weight`), as `torch.nn.utils.prune` keeps a `weight_mask` buffer per
/// pruned module. 1 keeps a weight, 0 prunes it.
///
/// Masks are values on the host; ``apply(to:)`` zeroes the pruned weights of a model on the device,
/// and ``MaskedOptimizer`` holds them at zero through training. Selection (`pruning(…)`, global
/// and unstructured, as `prune.global_unstructured`) and the sidecar file (`best.masks.safetensors`)
/// live in extensions.
///
/// ```swift
/// let dense = PruningMasks(ones: model, layers: .convolutions)
/// let masks = try dense.pruning(sparsity: 0.5, scores: dense.magnitudeScores(of: model))
/// try masks.apply(to: model)
/// ```
public struct PruningMasks: Equatable, Sendable {
    /// The masked parameters' names, in the model's registration order (the global order in which
    /// equal scores are broken: earlier first).
    public internal(set) var names: [String]
    /// Each mask's shape (its weight's).
    public internal(set) var shapes: [String: [Int]]
    /// Each mask's values, row-major: exactly 0 or 1.
    public internal(set) var values: [String: [Float]]

    /// Masks that keep everything, for `weights` (name and shape each).
    public init(ones weights: [(name: String, shape: [Int])]) {
        names = weights.map(\.name)
        shapes = Dictionary(weights.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        values = Dictionary(weights.map { ($0.name, [Float](repeating: 1, count: $0.shape.reduce(1, *))) }, uniquingKeysWith: { first, _ in first })
    }

    /// Masks that keep everything, for the `layers` weights of `model`.
    public init(ones model: any Module, layers: PrunableLayers) {
        self.init(ones: model.prunableWeights(layers).map { ($0.name, $0.tensor.shape) })
    }

    /// Masks from explicit values (each exactly 0 or 1, matching its shape), in `names` order.
    public init(names: [String], shapes: [String: [Int]], values: [String: [Float]]) throws(PruningError) {
        for name in names {
            guard let shape = shapes[name], let mask = values[name], mask.count == shape.reduce(1, *) else {
                throw .invalidMask("'\(name)' needs a shape and that many values")
            }
            if let bad = mask.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw .invalidMask("'\(name)'[\(bad)] is \(mask[bad]); masks hold only 0 and 1")
            }
        }
        self.names = names
        self.shapes = shapes.filter { names.contains($0.key) }
        self.values = values.filter { names.contains($0.key) }
    }

    /// Number of masked weights.
    public var totalCount: Int { names.reduce(0) { $0 + (values[$1]?.count ?? 0) } }

    /// Number of pruned (0) positions.
    public var prunedCount: Int { names.reduce(0) { $0 + Self.zeros(values[$1] ?? []) } }

    /// Pruned fraction of all masked weights (0 without masks).
    public var sparsity: Double { totalCount == 0 ? 0 : Double(prunedCount) / Double(totalCount) }

    /// The pruned count and fraction of each masked weight, in ``names`` order.
    public var layers: [LayerSparsity] {
        names.map { LayerSparsity(name: $0, pruned: Self.zeros(values[$0] ?? []), total: values[$0]?.count ?? 0) }
    }

    static func zeros(_ mask: [Float]) -> Int { mask.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } }

    // MARK: Device

    /// Zeroes the pruned weights of `model` in place on the device (`weight ⊙ mask`). Throws
    /// ``PruningError/modelMismatch(source:problems:)`` naming every mask the model lacks or shapes
    /// differently, and changes nothing then.
    public func apply(to model: any Module) throws {
        for (parameter, mask) in try deviceMasks(for: model) { try parameter.multiplyInPlace(by: mask) }
    }

    /// Each masked parameter of `model` with its mask uploaded to the device, in ``names`` order.
    func deviceMasks(for model: any Module) throws -> [(parameter: Tensor, mask: Tensor)] {
        let parameters = try maskedParameters(of: model)
        return try names.map { name in
            let parameter = parameters[name]!
            return (parameter, try Tensor(values[name] ?? [], shape: parameter.shape, context: parameter.context))
        }
    }

    /// The model's parameter for every mask, by name, or one error listing every name the model
    /// lacks and every shape that differs (`source` names the masks' file in it).
    public func maskedParameters(of model: any Module, source: String? = nil) throws(PruningError) -> [String: Tensor] {
        let parameters = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        var problems: [String] = []
        for name in names {
            guard let parameter = parameters[name] else {
                problems.append("\(name)_mask: the model has no parameter '\(name)'")
                continue
            }
            if let shape = shapes[name], shape != parameter.shape {
                problems.append("\(name)_mask: mask shape \(shape), parameter shape \(parameter.shape)")
            }
        }
        guard problems.isEmpty else { throw .modelMismatch(source: source, problems: problems) }
        return parameters.filter { shapes[$0.key] != nil }
    }
}

/// How much of one weight is pruned.
public struct LayerSparsity: Equatable, Sendable, Codable {
    /// The parameter name (`layers.0.weight`).
    public var name: String
    public var pruned: Int
    public var total: Int
    /// `pruned / total`.
    public var fraction: Double { total == 0 ? 0 : Double(pruned) / Double(total) }

    public init(name: String, pruned: Int, total: Int) {
        self.name = name
        self.pruned = pruned
        self.total = total
    }
}
