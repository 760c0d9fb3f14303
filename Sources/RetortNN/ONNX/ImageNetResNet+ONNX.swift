import Retort

extension ImageNetResNet: ONNXExportable {
    /// conv1 – bn1 – ReLU – maxpool, the four stages, global average pooling, `fc`.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let stem = try graph.apply(maxpool, to: graph.convolutionNormReLU(conv1, bn1, input))
        return try graph.pooledLogits(graph.apply([layer1, layer2, layer3, layer4], to: stem), classifier: fc)
    }
}

extension ResNetBottleneck: ONNXExportable {
    /// `relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))`.
    func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let reduced = try graph.convolutionNormReLU(conv2, bn2, graph.convolutionNormReLU(conv1, bn1, input))
        let out = try graph.apply([conv3, bn3], to: reduced)
        let shortcut = try downsample.map { try graph.apply($0, to: input) } ?? input
        return try graph.relu(graph.add(out, shortcut))
    }
}
