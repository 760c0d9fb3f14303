import Retort

extension PlainCNN: ONNXExportable {
    /// The layers in order, flattened after the convolutions and pools.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        var x = input
        for (index, layer) in layers.layers.enumerated() {
            if index == convolutionCount, x.sampleShape.count > 1 { x = graph.flattened(x) }
            x = try graph.apply(layer, to: x)
        }
        return x
    }
}
