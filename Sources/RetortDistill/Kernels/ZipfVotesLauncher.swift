import RetortCompute

// Zipf's dense votes: the classifier's arg-max at every position of the final feature map, counted per class.
//   map: [N, D, H, W] → rows: [N·H'·W', D] (H' = s·H, W' = s·W, s ∈ {1, 2});  logits: [N·P, C] → votes: [N, C]

/// Zipf label smoothing's dense ranking signal (`zipf_votes_positions.comp`, `zipf_votes.comp`):
/// the reference applies the classifier at every position of the final feature map (optionally
/// upsampled ×2, bilinear) and ranks the classes by how many positions vote for them.
///
/// ``encodePositions(into:map:rows:batch:channels:height:width:upsampled:)`` lays the map out as one
/// row per position (channels last), upsampling with PyTorch's `bilinear`, `align_corners=False`
/// rule when asked; the caller applies the classifier to the rows; ``encodeVotes(into:logits:votes:samples:positions:classes:)``
/// counts each sample's per-position arg-maxes (the first maximum wins ties, as `torch.argmax`).
/// Both are forward-only: the votes are a constant ranking signal.
public struct ZipfVotesLauncher: Sendable {
    public struct PositionsPush: PushConstants {
        public static let count = 5
        public var batch, channels, height, width, scale: Int

        public var values: [ShaderValue] { [.count(batch), .count(channels), .count(height), .count(width), .count(scale)] }
    }

    public struct VotesPush: PushConstants {
        public static let count = 3
        public var samples, positions, classes: Int

        public var values: [ShaderValue] { [.count(samples), .count(positions), .count(classes)] }
    }

    public let device: Device

    /// Prepares the launcher; the kernels are built (and cached by `device`) on first use.
    public init(device: Device) throws {
        self.device = device
    }

    /// Records the position rows of `map` into `rows`.
    ///
    /// - Parameters:
    ///   - map: `[batch, channels, height, width]`.
    ///   - rows: `[batch · H' · W', channels]`, position-major (`(n·H' + y)·W' + x`), H' and W' doubled
    ///     when `upsampled`.
    public func encodePositions(into stream: CommandStream, map: Buffer, rows: Buffer, batch: Int, channels: Int, height: Int,
                                width: Int, upsampled: Bool) throws {
        let scale = upsampled ? 2 : 1
        let name = "ZipfVotes positions [\(batch), \(channels), \(height), \(width)] ×\(scale)"
        let count = try ElementwiseLauncher.elementCount(name, [batch, channels, height, width])
        let outputs = try ElementwiseLauncher.elementCount(name, [batch, channels, height * scale, width * scale])
        try ElementwiseLauncher.require(name, [("map", map, count), ("rows", rows, outputs)])
        guard map !== rows else { throw VulkanError.invalidArgument("\(name): the map cannot also be the output.") }
        let kernel = try device.kernel(DistillationShader.zipfVotesPositions, bindings: [.texel(.r32f), .storage(.write)],
                                       pushConstants: PositionsPush.self, localSize: [64, 1, 1])
        try stream.dispatch(kernel, [map, rows], push: PositionsPush(batch: batch, channels: channels, height: height, width: width,
                                                                      scale: scale),
                            groups: (min(kernel.groups(covering: (outputs, 1, 1)).0, ElementwiseLauncher.maxGroups), 1, 1))
    }

    /// Records the votes: `votes[n, c]` = how many of sample `n`'s `positions` rows of `logits` have
    /// their maximum at `c`.
    ///
    /// - Parameters:
    ///   - logits: `[samples · positions, classes]`, sample-major.
    ///   - votes: `[samples, classes]`, overwritten.
    public func encodeVotes(into stream: CommandStream, logits: Buffer, votes: Buffer, samples: Int, positions: Int, classes: Int) throws {
        let name = "ZipfVotes [\(samples) × \(positions), \(classes)]"
        let count = try ElementwiseLauncher.elementCount(name, [samples, positions, classes])
        try ElementwiseLauncher.require(name, [("logits", logits, count), ("votes", votes, samples * classes)])
        guard logits !== votes else { throw VulkanError.invalidArgument("\(name): the logits cannot also be the votes.") }
        let kernel = try device.kernel(DistillationShader.zipfVotes, bindings: [.texel(.r32f), .storage(.readWrite)],
                                       pushConstants: VotesPush.self, localSize: [64, 1, 1])
        try stream.dispatch(kernel, [logits, votes], push: VotesPush(samples: samples, positions: positions, classes: classes),
                            groups: (min(kernel.groups(covering: (samples, 1, 1)).0, ElementwiseLauncher.maxGroups), 1, 1))
    }
}
