import Retort

extension ShuffleNetV2: ONNXExportable {
    /// conv1 – bn1 – ReLU, the three stages, conv2 – bn2 – ReLU, global average pooling, `linear`.
    public func exportONNX(_ input: ONNXValue, into graph: ONNXGraphBuilder) throws -> ONNXValue {
        let stem = try graph.relu(graph.apply([conv1, bn1], to: input))
        let map = try graph.relu(graph.apply([layer1, layer2, layer3, conv2, bn2], to: stem))
        return try graph.apply(linear, to: graph.globalAveragePooled(map))
    }
}

extension ShuffleV2Block: ONNXExportable {
    /// Split the channels in halves; the second through conv1 – bn1 – ReLU – conv2 – bn2 – conv3 – bn3 – ReLU;
    /// concatenate with the first and shuffle in 2 groups.
    func exportONNX(_ input: ONNXValue, into graph: ONNXGraphBuilder) throws -> ONNXValue {
        let channels = input.sampleShape.first ?? 0
        let parts = try graph.split(input, sizes: [channels / 2, channels - channels / 2])
        let branch = try graph.apply([conv2, bn2, conv3, bn3], to: graph.relu(graph.apply([conv1, bn1], to: parts[1])))
        return try graph.channelShuffled(graph.concatenated([parts[0], graph.relu(branch)]), groups: 2)
    }
}

extension ShuffleV2DownBlock: ONNXExportable {
    /// `[relu(bn2(conv2(bn1(conv1(x))))), relu(bn5(conv5(bn4(conv4(relu(bn3(conv3(x))))))))]` concatenated,
    /// shuffled in 2 groups.
    func exportONNX(_ input: ONNXValue, into graph: ONNXGraphBuilder) throws -> ONNXValue {
        let left = try graph.relu(graph.apply([conv1, bn1, conv2, bn2], to: input))
        let right = try graph.relu(graph.apply([conv4, bn4, conv5, bn5], to: graph.relu(graph.apply([conv3, bn3], to: input))))
        return try graph.channelShuffled(graph.concatenated([left, right]), groups: 2)
    }
}
