import Retort

extension ShuffleNetV1: ONNXExportable {
    /// conv1 – bn1 – ReLU, the three stages, global average pooling, `linear`.
    public func exportONNX(_ input: ONNXValue, into graph: ONNXGraphBuilder) throws -> ONNXValue {
        let stem = try graph.relu(graph.apply([conv1, bn1], to: input))
        let map = try graph.apply([layer1, layer2, layer3], to: stem)
        return try graph.apply(linear, to: graph.globalAveragePooled(map))
    }
}

extension ShuffleV1Bottleneck: ONNXExportable {
    /// conv1 – bn1 – ReLU – shuffle – conv2 – bn2 – ReLU – conv3 – bn3; then `relu(out + x)` (stride 1)
    /// or `[relu(out), relu(avgpool3×3(x))]` concatenated (stride 2).
    func exportONNX(_ input: ONNXValue, into graph: ONNXGraphBuilder) throws -> ONNXValue {
        var out = try graph.relu(graph.apply([conv1, bn1], to: input))
        if shuffleGroups > 1 { out = try graph.channelShuffled(out, groups: shuffleGroups) }
        out = try graph.apply([conv3, bn3], to: graph.relu(graph.apply([conv2, bn2], to: out)))
        guard stride == 2 else { return try graph.relu(graph.add(out, input)) }
        let pooled = try graph.pooled("AveragePool", input, kernel: 3, stride: 2, padding: 1)
        return try graph.concatenated([graph.relu(out), graph.relu(pooled)])
    }
}
