// Argmax and top-k counting.
//   logits: [rows, columns]; labels, ranks, argmax: [rows]; counts: [topK.count]

/// Row-wise selection over logits `[rows, columns]` (`top_k.comp`): argmax per row and counts of
/// rows whose label is among the k largest logits (top-k accuracy without reading the logits back).
public struct TopKLauncher: Sendable {
    public let device: Device
    private static let localSize: UInt32 = 64

    /// The push constants of `top_k.comp`.
    ///
    /// - `rows`: rows of logits
    /// - `columns`: logits per row
    /// - `numK`: how many of `k0`…`k3` are used (count mode)
    /// - `accumulate`: add the counts to the output instead of replacing it (count mode)
    /// - `k0`: first k (count mode)
    /// - `k1`: second k, or 0
    /// - `k2`: third k, or 0
    /// - `k3`: fourth k, or 0
    public struct Push: PushConstants {
        public static let count = 8
        public var rows, columns, numK: Int
        public var accumulate: Bool
        public var k0, k1, k2, k3: Int

        public var values: [ShaderValue] {
            [.count(rows), .count(columns), .count(numK), .bool(accumulate), .count(k0), .count(k1), .count(k2), .count(k3)]
        }
    }

    /// The specialization constants of `top_k.comp`.
    public struct Specialization: SpecializationConstants {
        /// constant_id 3: `MODE`: 0 argmax, 1 label rank, 2 count hits.
        public var mode: UInt32

        public var values: [ShaderValue] { [.uint(mode)] }
    }

    /// Prepares the launcher; kernels are built (and cached by `device`) on first use.
    public init(device: Device) throws {
        self.device = device
    }

    /// `output[r]` (a `UInt32`) = the column of the largest `input[r, :]` for `input` of `[rows, columns]`;
    /// the first one wins ties and NaN counts as the largest, like `torch.argmax(dim: 1)`.
    public func encodeArgmax(into stream: CommandStream, input: Buffer, output: Buffer, rows: Int, columns: Int) throws {
        try validateRows("argmax", rows: rows, columns: columns)
        try ElementwiseLauncher.require("argmax [\(rows), \(columns)]", [("input", input, rows * columns), ("output", output, rows)])
        try ReduceLauncher.requireDistinct("argmax [\(rows), \(columns)]", input, output)
        let kernel = try selectionKernel(mode: 0)
        try stream.dispatch(kernel, [input, input, output], push: selectionPush(rows: rows, columns: columns),
                            groups: kernel.groups(covering: (min(rows, ElementwiseLauncher.maxGroups * Int(Self.localSize)), 1, 1)))
    }

    /// Counts the rows of `logits` (`[rows, columns]`) whose label (`labels`: `[rows]` `UInt32` or
    /// non-negative `Int32`) is among the top `k` logits, for each `k` in `topK` (1 to 4 values; default
    /// top-1 and top-5), into `counts` (`[topK.count]` `UInt32`). A label is in the top k when fewer
    /// than k logits are strictly greater than its own, so ties count in its favour; labels outside
    /// `0..<columns` never count. With `accumulate`, counts are added to `counts` (e.g. over an
    /// evaluation epoch, read back once). Two dispatches: per-row ranks, then an in-order count.
    public func encodeTopKCorrect(into stream: CommandStream, logits: Buffer, labels: Buffer, counts: Buffer, rows: Int,
                                  columns: Int, topK: [Int] = [1, 5], accumulate: Bool = false) throws {
        try validateRows("top-k", rows: rows, columns: columns)
        guard (1...4).contains(topK.count), topK.allSatisfy({ $0 > 0 && $0 <= Int(UInt32.max) }) else {
            throw VulkanError.invalidArgument("top-k [\(rows), \(columns)]: topK \(topK) needs 1 to 4 positive values.")
        }
        try ElementwiseLauncher.require("top-k [\(rows), \(columns)]", [("logits", logits, rows * columns), ("labels", labels, rows),
                                                                 ("counts", counts, topK.count)])
        try ReduceLauncher.requireDistinct("top-k [\(rows), \(columns)]", logits, counts)
        try ReduceLauncher.requireDistinct("top-k [\(rows), \(columns)]", labels, counts)
        let ranks = try device.makeBuffer(byteCount: rows * 4)
        let rankKernel = try selectionKernel(mode: 1)
        try stream.dispatch(rankKernel, [logits, labels, ranks], push: selectionPush(rows: rows, columns: columns),
                            groups: rankKernel.groups(covering: (min(rows, ElementwiseLauncher.maxGroups * Int(Self.localSize)), 1, 1)))
        let countKernel = try selectionKernel(mode: 2)
        let ks = (0..<4).map { $0 < topK.count ? topK[$0] : 0 }
        try stream.dispatch(countKernel, [logits, ranks, counts],
                            push: Push(rows: rows, columns: columns, numK: topK.count, accumulate: accumulate, k0: ks[0], k1: ks[1],
                                       k2: ks[2],
                                       k3: ks[3]),
                            groups: (1, 1, 1))
    }

    private func validateRows(_ name: String, rows: Int, columns: Int) throws {
        guard rows > 0, columns > 0 else {
            throw VulkanError.invalidArgument("\(name): [\(rows), \(columns)] needs positive sizes.")
        }
        guard !rows.multipliedReportingOverflow(by: columns).overflow, rows * columns <= Int(Int32.max) else {
            throw VulkanError.invalidArgument("\(name): [\(rows), \(columns)] has more elements than 32-bit indexing allows.")
        }
    }

    private func selectionKernel(mode: UInt32) throws -> Kernel {
        try device.kernel(.topK, bindings: [.texel(.r32f), .texel(.r32ui), .storage(.readWrite)], pushConstants: Push.self,
                          localSize: [Self.localSize], constants: Specialization(mode: mode))
    }

    /// The push constants of the argmax and rank modes (the count fields unused).
    private func selectionPush(rows: Int, columns: Int) -> Push {
        Push(rows: rows, columns: columns, numK: 0, accumulate: false, k0: 0, k1: 0, k2: 0, k3: 0)
    }
}
