import Retort
import RetortCompute

// Zipf's dense votes as tensor ops (constants: no gradient).
//   map: [N, D, H, W] → rows: [N·H'·W', D];  position logits: [N·P, C] → votes: [N, C]

extension Tensor {
    /// The feature vector at every position of a `[N, D, H, W]` map, as rows `[N·H'·W', D]` (sample,
    /// then row, then column), after a ×2 bilinear upsampling (PyTorch's `align_corners=False`) when
    /// `upsampled`; the classifier applied to these rows gives Zipf's per-position logits. A constant.
    public func zipfVotePositions(upsampled: Bool) throws -> Tensor {
        guard shape.count == 4 else {
            throw TensorError.invalidShape(op: "zipfVotePositions", shape: shape, expected: "[N, D, H, W]")
        }
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let scale = upsampled ? 2 : 1
        let launcher = try context.launcher(ZipfVotesLauncher.self) { try ZipfVotesLauncher(device: $0) }
        let rows = try Tensor.empty(shape: [batch * height * width * scale * scale, channels], context: context)
        try launcher.encodePositions(into: context.stream, map: buffer, rows: rows.buffer, batch: batch, channels: channels,
                                     height: height, width: width, upsampled: upsampled)
        return rows
    }

    /// Per-class vote counts `[samples, C]` from per-position logits `[samples·P, C]`: how many of each
    /// sample's `P` positions have their arg-max at the class (the first maximum wins ties). A constant.
    public func zipfVotes(samples: Int) throws -> Tensor {
        guard shape.count == 2, samples > 0, shape[0] % samples == 0 else {
            throw TensorError.invalidShape(op: "zipfVotes", shape: shape, expected: "[samples · positions, C] for \(samples) samples")
        }
        let launcher = try context.launcher(ZipfVotesLauncher.self) { try ZipfVotesLauncher(device: $0) }
        let votes = try Tensor.empty(shape: [samples, shape[1]], context: context)
        try launcher.encodeVotes(into: context.stream, logits: buffer, votes: votes.buffer, samples: samples,
                                 positions: shape[0] / samples, classes: shape[1])
        return votes
    }
}
