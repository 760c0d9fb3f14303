import Retort

extension Module {
    /// The exact zeros among the weights of `layers` — or among every parameter (biases and
    /// batch-norm included) when `layers` is nil — counted from the model's current values on the
    /// host. What a pruned model reports, independent of any masks.
    public func measuredSparsity(_ layers: PrunableLayers?) throws -> LayerSparsity {
        let tensors = layers.map { prunableWeights($0).map(\.tensor) } ?? parameters()
        var zeros = 0, total = 0
        for tensor in tensors {
            let values = try tensor.toArray()
            zeros += values.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
            total += values.count
        }
        let name = layers.map { $0 == .convolutions ? "Conv2d weights" : "Conv2d and Linear weights" } ?? "all parameters"
        return LayerSparsity(name: name, pruned: zeros, total: total)
    }
}
