import Retort
import RetortCompute

extension FeatureTaps {
    /// Every tap in fp32: what the losses read after a forward pass under ``Context/autocast(_:_:)``
    /// (softmax, cross-entropy, KL and the feature losses compute in fp32, as under PyTorch's autocast).
    public func float32() throws -> FeatureTaps {
        FeatureTaps(stages: try stages.map { try $0.float32() }, preactivations: try preactivations.map { try $0.float32() },
                    pooled: try pooled.float32(), logits: try logits.float32(), pooledMap: try pooledMap?.float32())
    }
}

extension Classifier {
    /// ``Classifier/features(_:)`` with the matrix ops in `precision` (``Context/autocast(_:_:)``),
    /// every tap returned in fp32.
    public func features(_ input: Tensor, precision: Precision) throws -> FeatureTaps {
        guard precision.isReduced else { return try features(input) }
        return try input.context.autocast(precision) { try features(input) }.float32()
    }
}
