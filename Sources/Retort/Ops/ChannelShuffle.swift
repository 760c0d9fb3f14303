import RetortCompute

// ShuffleNet's channel shuffle and its backward (a strided copy each way).
//   x: [N, C, …] viewed as [N, g, C/g, …], axes 1 and 2 swapped → y: [N, C, …]
//   y channel j·g + i = x channel i·(C/g) + j;  dx = dy shuffled with C/g groups (the inverse permutation)

extension Tensor {
    /// Interleaves the channels of `groups` groups (`x.view(N, g, C/g, H, W).transpose(1, 2).reshape(N, C, H, W)`).
    public func channelShuffled(groups: Int) throws -> Tensor {
        if precision.isReduced { return try float32().channelShuffled(groups: groups) }
        guard shape.count >= 2, groups > 0, shape[1] % groups == 0 else {
            throw TensorError.invalidShape(op: "channelShuffle (groups \(groups))", shape: shape,
                                           expected: "[N, C, …] with C divisible by the groups")
        }
        let y = try shuffle(groups: groups)
        let inverse = shape[1] / groups
        return y.recorded(from: [self]) { g in [try g.shuffle(groups: inverse)] }
    }

    /// The shuffle into a new tensor, not recorded.
    private func shuffle(groups: Int) throws -> Tensor {
        let y = try Tensor.empty(shape: shape, context: context)
        guard count > 0 else { return y }
        try stridedCopy.encodeChannelShuffle(into: context.stream, input: buffer, output: y.buffer, batch: shape[0], channels: shape[1],
                                             spatial: shape.dropFirst(2).reduce(1, *), groups: groups)
        return y
    }
}
