import Retort

extension ImageNetMobileNetV2: ONNXExportable {
    /// `features.0` … `features.18`, global average pooling, the classifier (its dropout exports as nothing).
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        try graph.pooledLogits(graph.apply(featureLayers, to: input), classifier: classifier)
    }
}
