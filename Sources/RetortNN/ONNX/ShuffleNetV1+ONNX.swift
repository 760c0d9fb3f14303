import Retort

extension ShuffleNetV1: ONNXExportable {
    /// conv1 – bn1 – ReLU, the three stages, global average pooling, `linear`.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        try graph.pooledLogits(graph.apply([layer1, layer2, layer3], to: graph.convolutionNormReLU(conv1, bn1, input)), classifier: linear)
    }
}

extension ShuffleV1Bottleneck: ONNXExportable {
    /// conv1 – bn1 – ReLU – shuffle – conv2 – bn2 – ReLU – conv3 – bn3; then `relu(out + x)` (stride 1)
    /// or `[relu(out), relu(avgpool3×3(x))]` concatenated (stride 2).
    func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        var out = try graph.convolutionNormReLU(conv1, bn1, input)
        if shuffleGroups > 1 { out = try graph.channelShuffled(out, groups: shuffleGroups) }
        out = try graph.apply([conv3, bn3], to: graph.convolutionNormReLU(conv2, bn2, out))
        guard stride == 2 else { return try graph.relu(graph.add(out, input)) }
        let pooled = try graph.pooled("AveragePool", input, kernel: 3, stride: 2, padding: 1)
        return try graph.concatenated([graph.relu(out), graph.relu(pooled)])
    }
}
