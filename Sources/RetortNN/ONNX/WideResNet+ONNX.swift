import Retort

extension WideResNet: ONNXExportable {
    /// conv1, the three stages, bn1 – ReLU (a `BatchNormalization`: no convolution feeds it alone),
    /// global average pooling, `fc`.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let map = try graph.relu(graph.apply([conv1, block1, block2, block3, bn1], to: input))
        return try graph.pooledLogits(map, classifier: fc)
    }
}

extension WideStage: ONNXExportable {
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        try graph.apply(layer, to: input)
    }
}

extension WideBlock: ONNXExportable {
    /// Pre-activation: `a = relu(bn1(x))`, then `conv2(relu(bn2(conv1(a)))) + (convShortcut(a) or x)`.
    func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let activated = try graph.relu(graph.apply(bn1, to: input))
        let out = try graph.apply(conv2, to: graph.relu(graph.apply([conv1, bn2], to: activated)))
        return try graph.add(out, convShortcut.map { try graph.apply($0, to: activated) } ?? input)
    }
}
