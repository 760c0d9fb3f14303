import Retort

extension VGG: ONNXExportable {
    /// Each block then ReLU, 2×2 max pools after blocks 0–2 (and after block 3 for 64×64 inputs), global
    /// average pooling, the classifier.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let pooledAfterBlock3 = input.sampleShape.count == 3 && input.sampleShape[1] == 64
        var x = input
        for (index, block) in [block0, block1, block2, block3, block4].enumerated() {
            x = try graph.relu(graph.apply(block, to: x))
            if index < 3 || (index == 3 && pooledAfterBlock3) { x = try graph.pooled("MaxPool", x, kernel: 2, stride: 2, padding: 0) }
        }
        return try graph.pooledLogits(x, classifier: classifier)
    }
}
