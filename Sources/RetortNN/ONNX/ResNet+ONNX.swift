import Retort

extension ResNet: ONNXExportable {
    /// conv1 – bn1 – ReLU, the three stages, global average pooling, `fc`.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        try graph.pooledLogits(graph.apply([layer1, layer2, layer3], to: graph.convolutionNormReLU(conv1, bn1, input)), classifier: fc)
    }
}

extension BasicBlock: ONNXExportable {
    /// `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`.
    func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let out = try graph.apply([conv2, bn2], to: graph.convolutionNormReLU(conv1, bn1, input))
        let shortcut = try downsample.map { try graph.apply($0, to: input) } ?? input
        return try graph.relu(graph.add(out, shortcut))
    }
}
