import RetortCompute

// Zipf label-smoothing targets.
//   scores, distribution: [rows, classes]; labels, correct: [rows]

/// Zipf label-smoothing targets from a ranking signal (`zipf_targets.comp`), one workgroup per row.
///
/// For scores `s` (`[rows, classes]`, row-major fp32; Zipf's LS uses the network's own logits) and
/// integer labels `t`, each row gets
///
/// - `rank[c] = 1 + #{j : s[j] > s[c]}`: scipy's `rankdata(−s, method: "min")`, ties share the
///   smallest rank and the best class has rank 1 (the label's class takes part in the ranking);
/// - `distribution[c] = rank[c]^−power / Σ_{c' ≠ t} rank[c']^−power` for `c ≠ t`, and exactly 0 at `t`:
///   a Zipf prior over the non-target classes that sums to 1;
/// - `correct = 1` when `torch.argmax(s) == t` (the first maximum wins ties), else 0: the sample
///   mask of the reference's `--mask` option.
///
/// Labels are `Int32` on the device, so the launcher cannot check them: a label outside
/// `0 ..< classes` gives a NaN row (no out-of-bounds read). Cost: `classes²` comparisons per row.
public struct ZipfTargetsLauncher: Sendable {

    public struct Push: PushConstants {
        public static let count = 3
        public var rows, columns: Int
        public var power: Float

        public var values: [ShaderValue] { [.count(rows), .count(columns), .float(power)] }
    }
    public let device: Device
    /// Invocations per workgroup; the shader's shared arrays are sized for it.
    private static let lanes: UInt32 = 64

    /// Prepares the launcher; the kernel is built (and cached by `device`) on first use.
    public init(device: Device) throws {
        self.device = device
    }

    /// Records the targets into `stream`.
    ///
    /// - Parameters:
    ///   - scores: `[rows, classes]`, the ranking signal.
    ///   - labels: `[rows]` `Int32` class indices.
    ///   - distribution: `[rows, classes]`, receives the Zipf targets (0 at each row's label).
    ///   - correct: `[rows]`, receives 1 for rows whose arg-max is the label, else 0.
    ///   - power: the Zipf exponent (1 in the reference); rank 1 weighs `1`, rank k weighs `k^−power`.
    public func encode(into stream: CommandStream, scores: Buffer, labels: Buffer, distribution: Buffer, correct: Buffer,
                       rows: Int, classes: Int, power: Float = 1) throws {
        let name = "ZipfTargets [\(rows), \(classes)]"
        guard rows > 0, classes >= 2 else {
            throw VulkanError.invalidArgument("\(name): needs at least one row and two classes.")
        }
        let count = try ElementwiseLauncher.elementCount(name, [rows, classes])
        guard power.isFinite else {
            throw VulkanError.invalidArgument("\(name): the power must be finite, got \(power).")
        }
        try ElementwiseLauncher.require(name, [("scores", scores, count), ("labels", labels, rows), ("distribution", distribution, count),
                                       ("correct", correct, rows)])
        for (role, buffer) in [("scores", scores), ("labels", labels)] where buffer === distribution || buffer === correct {
            throw VulkanError.invalidArgument("\(name): the \(role) buffer cannot also be an output.")
        }
        guard distribution !== correct else {
            throw VulkanError.invalidArgument("\(name): distribution and correct need separate buffers.")
        }
        let kernel = try device.kernel(DistillationShader.zipfTargets,
                                       bindings: [.texel(.r32f), .texel(.r32i), .storage(.readWrite), .storage(.write)],
                                       pushConstants: Push.self, localSize: [Self.lanes])
        try stream.dispatch(kernel, [scores, labels, distribution, correct], push: Push(rows: rows, columns: classes, power: power),
                            groups: (min(rows, ElementwiseLauncher.maxGroups), 1, 1))
    }
}
