import Retort

extension ResNet: ONNXExportable {
    /// conv1 – bn1 – ReLU, the three stages, global average pooling, `fc`.
    public func exportONNX(_ input: ONNXValue, into graph: ONNXGraphBuilder) throws -> ONNXValue {
        let stem = try graph.relu(graph.apply([conv1, bn1], to: input))
        let map = try graph.apply([layer1, layer2, layer3], to: stem)
        return try graph.apply(fc, to: graph.globalAveragePooled(map))
    }
}

extension BasicBlock: ONNXExportable {
    /// `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`.
    func exportONNX(_ input: ONNXValue, into graph: ONNXGraphBuilder) throws -> ONNXValue {
        let out = try graph.apply([conv2, bn2], to: graph.relu(graph.apply([conv1, bn1], to: input)))
        let shortcut = try downsample.map { try graph.apply($0, to: input) } ?? input
        return try graph.relu(graph.add(out, shortcut))
    }
}
