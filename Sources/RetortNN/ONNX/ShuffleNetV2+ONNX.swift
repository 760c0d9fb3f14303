import Retort

extension ShuffleNetV2: ONNXExportable {
    /// conv1 – bn1 – ReLU, the three stages, conv2 – bn2 – ReLU, global average pooling, `linear`.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let map = try graph.apply([layer1, layer2, layer3], to: graph.convolutionNormReLU(conv1, bn1, input))
        return try graph.pooledLogits(graph.convolutionNormReLU(conv2, bn2, map), classifier: linear)
    }
}

extension ShuffleV2Block: ONNXExportable {
    /// Split the channels in halves; the second through conv1 – bn1 – ReLU – conv2 – bn2 – conv3 – bn3 – ReLU;
    /// concatenate with the first and shuffle in 2 groups.
    func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let channels = input.sampleShape.first ?? 0
        let parts = try graph.split(input, sizes: [channels / 2, channels - channels / 2])
        let middle = try graph.apply([conv2, bn2], to: graph.convolutionNormReLU(conv1, bn1, parts[1]))
        let branch = try graph.convolutionNormReLU(conv3, bn3, middle)
        return try graph.channelShuffled(graph.concatenated([parts[0], branch]), groups: 2)
    }
}

extension ShuffleV2DownBlock: ONNXExportable {
    /// `[relu(bn2(conv2(bn1(conv1(x))))), relu(bn5(conv5(bn4(conv4(relu(bn3(conv3(x))))))))]` concatenated,
    /// shuffled in 2 groups.
    func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let left = try graph.convolutionNormReLU(conv2, bn2, graph.apply([conv1, bn1], to: input))
        let right = try graph.convolutionNormReLU(conv5, bn5, graph.apply([conv4, bn4], to: graph.convolutionNormReLU(conv3, bn3, input)))
        return try graph.channelShuffled(graph.concatenated([left, right]), groups: 2)
    }
}
