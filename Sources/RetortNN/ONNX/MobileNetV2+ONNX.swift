import Retort

extension MobileNetV2: ONNXExportable {
    /// The stem, the inverted residual stages, conv2, global average pooling, the classifier.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        try graph.pooledLogits(graph.apply([conv1, blocks, conv2], to: input), classifier: classifier)
    }
}

extension InvertedResidual: ONNXExportable {
    /// `conv(x)`, plus `x` where the block keeps the stride and width.
    func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let out = try graph.apply(conv, to: input)
        return usesResidual ? try graph.add(input, out) : out
    }
}
