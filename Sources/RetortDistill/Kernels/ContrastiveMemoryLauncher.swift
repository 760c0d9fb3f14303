import RetortCompute

// Contrastive memory bank.
//   bank: [bankRows, D]; anchors: [rows, D]; indices, scores: [rows, columns]; loss: [rows]

/// The kernels of contrastive representation distillation (CRD, Tian et al. 2020) around a memory
/// bank `[N, D]` of fp32 rows: indexed scores and their backward (`contrastive_memory_scores.comp`,
/// `contrastive_memory_scores_backward.comp`), the fused NCE loss and score gradient (`contrastive_memory_nce.comp`), and the
/// momentum update of bank rows (`contrastive_memory_update.comp`).
///
/// Row indices are `UInt32` buffers. Every result is summed in a fixed order (no atomics), so the
/// same inputs on the same device give the same bits. The bank is bound as a storage buffer (not a
/// texel buffer), so banks larger than a device's texel-buffer limit work (ImageNet: 1.28M × 128).
///
/// ```swift
/// let memory = try ContrastiveMemoryLauncher(device: device)
/// // scores[i, j] = bank[idx[i, j]] · anchors[i]
/// try memory.encodeScores(into: stream, bank: bank, anchors: v, indices: idx, scores: s,
///                         rows: 64, columns: 16385, dimension: 128, bankRows: 50_000)
/// ```
public struct ContrastiveMemoryLauncher: Sendable {

    /// The specialization constants of `contrastive_memory_scores.comp`.
    public struct ScoresSpecialization: SpecializationConstants {
        /// constant_id 3: `VEC`: 1 reads vec4 features (dimension divisible by 4), else 0.
        public var vec: UInt32

        public var values: [ShaderValue] { [.uint(vec)] }
    }

    public struct ScoresPush: PushConstants {
        public static let count = 3
        public var rows, columns, dim: Int

        public var values: [ShaderValue] { [.count(rows), .count(columns), .count(dim)] }
    }

    public struct ScoresBackwardPush: PushConstants {
        public static let count = 5
        public var rows, columns, dim, chunk, chunks: Int

        public var values: [ShaderValue] { [.count(rows), .count(columns), .count(dim), .count(chunk), .count(chunks)] }
    }

    public struct NCEPush: PushConstants {
        public static let count = 6
        public var rows, columns: Int
        public var invT, noise, eps, scale: Float

        public var values: [ShaderValue] { [.count(rows), .count(columns), .float(invT), .float(noise), .float(eps), .float(scale)] }
    }

    public struct UpdatePush: PushConstants {
        public static let count = 3
        public var rows, dim: Int
        public var momentum: Float

        public var values: [ShaderValue] { [.count(rows), .count(dim), .float(momentum)] }
    }
    public let device: Device
    private let reduction: ReduceLauncher
    /// Score columns summed by one invocation of the backward's first pass.
    public static let backwardChunk = 256
    /// Invocations per row of the NCE kernel (a power of two: its lanes are combined by a tree).
    private static let nceLanes: UInt32 = 64

    /// Prepares the launcher; kernels are built (and cached by `device`) on first use.
    public init(device: Device) throws {
        self.device = device
        reduction = try ReduceLauncher(device: device)
    }

    /// Records `scores[i, j] = Σ_d bank[indices[i, j], d] · anchors[i, d]`.
    ///
    /// - Parameters:
    ///   - bank: `[bankRows, dimension]` memory rows.
    ///   - anchors: `[rows, dimension]`.
    ///   - indices: `[rows, columns]` `UInt32` row indices, each below `bankRows` (the caller checks
    ///     them: the kernel reads whatever row an index names).
    ///   - scores: `[rows, columns]`, overwritten.
    public func encodeScores(into stream: CommandStream, bank: Buffer, anchors: Buffer, indices: Buffer, scores: Buffer,
                             rows: Int, columns: Int, dimension: Int, bankRows: Int) throws {
        let name = "ContrastiveMemory scores [\(rows), \(columns)] of dimension \(dimension)"
        try validate(name, rows: rows, columns: columns, dimension: dimension, bankRows: bankRows)
        try ElementwiseLauncher.require(name, [("bank", bank, bankRows * dimension), ("anchors", anchors, rows * dimension),
                                       ("indices", indices, rows * columns), ("scores", scores, rows * columns)])
        let vectorized = dimension % 4 == 0
        let kernel = try device.kernel(DistillationShader.contrastiveMemoryScores,
                                       bindings: [.storage(.read), .storage(.read), .storage(.read), .storage(.write)],
                                       pushConstants: ScoresPush.self, localSize: [64, 1, 1],
                                       constants: ScoresSpecialization(vec: vectorized ? 1 : 0))
        try stream.dispatch(kernel, [bank, anchors, indices, scores], push: ScoresPush(rows: rows, columns: columns, dim: dimension),
                            groups: kernel.groups(covering: (columns, rows, 1)))
    }

    /// Records the anchors' gradient of ``encodeScores(into:bank:anchors:indices:scores:rows:columns:dimension:bankRows:)``:
    /// `anchorGradient[i, d] = Σ_j scoreGradient[i, j] · bank[indices[i, j], d]`. The bank gets no
    /// gradient (its rows are constants of the scores). Long rows are summed in chunks of
    /// ``backwardChunk`` columns and the chunks then added in order, for parallelism.
    public func encodeScoresBackward(into stream: CommandStream, bank: Buffer, scoreGradient: Buffer, indices: Buffer,
                                     anchorGradient: Buffer, rows: Int, columns: Int, dimension: Int, bankRows: Int) throws {
        let name = "ContrastiveMemory scores backward [\(rows), \(columns)] of dimension \(dimension)"
        try validate(name, rows: rows, columns: columns, dimension: dimension, bankRows: bankRows)
        try ElementwiseLauncher.require(name, [("bank", bank, bankRows * dimension), ("score gradient", scoreGradient, rows * columns),
                                       ("indices", indices, rows * columns), ("anchor gradient", anchorGradient, rows * dimension)])
        let chunks = (columns + Self.backwardChunk - 1) / Self.backwardChunk
        _ = try ElementwiseLauncher.elementCount(name, [rows, chunks, dimension])
        let kernel = try device.kernel(DistillationShader.contrastiveMemoryScoresBackward,
                                       bindings: [.storage(.read), .storage(.read), .storage(.read), .storage(.write)],
                                       pushConstants: ScoresBackwardPush.self, localSize: [64, 1, 1])
        let partial = chunks == 1 ? anchorGradient : try device.makeBuffer(byteCount: rows * chunks * dimension * 4)
        try stream.dispatch(kernel, [bank, scoreGradient, indices, partial],
                            push: ScoresBackwardPush(rows: rows, columns: columns, dim: dimension, chunk: Self.backwardChunk,
                                                     chunks: chunks),
                            groups: kernel.groups(covering: (dimension * chunks, rows, 1)))
        if chunks > 1 {
            try reduction.encodeSum(into: stream, input: partial, output: anchorGradient,
                                    view: ReduceLauncher.AxisView(outer: rows, reduced: chunks, inner: dimension))
        }
    }

    /// Records the NCE loss of RepDistiller's `NCECriterion` per row and its gradient with respect
    /// to the scores. With `x_j = exp(scores[i, j] / temperature) / normalizer[0]`, `c = noise + epsilon`:
    /// `loss[i] = scale · (−log(x_0 / (x_0 + c)) − Σ_{j≥1} log(noise / (x_j + c)))`. Column 0 is the
    /// positive. `noise` is `m · Pn` (negatives per row over the dataset size); fold `1/rows` and
    /// any weight into `scale`.
    ///
    /// - Parameters:
    ///   - scores: `[rows, columns]` raw dot products (before the temperature).
    ///   - normalizer: `[1]`, the constant `Z` (positive).
    ///   - scoreGradient: `[rows, columns]`, receives `∂(Σ_i loss[i]) / ∂scores`.
    ///   - loss: `[rows]`.
    public func encodeNCE(into stream: CommandStream, scores: Buffer, normalizer: Buffer, scoreGradient: Buffer, loss: Buffer,
                          rows: Int, columns: Int, temperature: Float, noise: Float, epsilon: Float, scale: Float) throws {
        let name = "ContrastiveMemory NCE [\(rows), \(columns)]"
        _ = try ElementwiseLauncher.elementCount(name, [rows, columns])
        guard columns >= 2 else { throw VulkanError.invalidArgument("\(name): needs a positive and at least one negative per row.") }
        guard temperature.isFinite, temperature > 0 else {
            throw VulkanError.invalidArgument("\(name): the temperature must be positive and finite, got \(temperature).")
        }
        guard noise.isFinite, noise > 0, epsilon.isFinite, epsilon >= 0, scale.isFinite else {
            throw VulkanError.invalidArgument(
                "\(name): noise (\(noise)) must be positive, epsilon (\(epsilon)) non-negative, scale (\(scale)) finite.")
        }
        try Self.requireRows(name, rows)
        try ElementwiseLauncher.require(name, [("scores", scores, rows * columns), ("normalizer", normalizer, 1),
                                       ("score gradient", scoreGradient, rows * columns), ("loss", loss, rows)])
        let kernel = try device.kernel(DistillationShader.contrastiveMemoryNce,
                                       bindings: [.storage(.read), .storage(.read), .storage(.write), .storage(.write)],
                                       pushConstants: NCEPush.self, localSize: [Self.nceLanes, 1, 1])
        try stream.dispatch(kernel, [scores, normalizer, scoreGradient, loss],
                            push: NCEPush(rows: rows, columns: columns, invT: 1 / temperature, noise: noise, eps: epsilon, scale: scale),
                            groups: (rows, 1, 1))
    }

    /// Records the in-place momentum update `bank[indices[i]] ← normalize(momentum · bank[indices[i]]
    /// + (1 − momentum) · values[i])` with `normalize(u) = u / max(‖u‖₂, 1e-12)`. The indices must be
    /// distinct and below `bankRows` (the caller checks them): each row then has one writer.
    ///
    /// - Parameters:
    ///   - bank: `[bankRows, dimension]`, updated in place.
    ///   - values: `[rows, dimension]`.
    ///   - indices: `[rows]` `UInt32`.
    public func encodeUpdate(into stream: CommandStream, bank: Buffer, values: Buffer, indices: Buffer, rows: Int,
                             dimension: Int, bankRows: Int, momentum: Float) throws {
        let name = "ContrastiveMemory update of \(rows) rows of dimension \(dimension)"
        try validate(name, rows: rows, columns: 1, dimension: dimension, bankRows: bankRows)
        guard momentum.isFinite else { throw VulkanError.invalidArgument("\(name): the momentum must be finite, got \(momentum).") }
        guard bank !== values, bank !== indices else { throw VulkanError.invalidArgument("\(name): the bank cannot also be an input.") }
        try ElementwiseLauncher.require(name, [("bank", bank, bankRows * dimension), ("values", values, rows * dimension),
                                               ("indices", indices, rows)])
        let kernel = try device.kernel(DistillationShader.contrastiveMemoryUpdate,
                                       bindings: [.storage(.readWrite), .storage(.read), .storage(.read)],
                                       pushConstants: UpdatePush.self, localSize: [64, 1, 1])
        try stream.dispatch(kernel, [bank, values, indices], push: UpdatePush(rows: rows, dim: dimension, momentum: momentum),
                            groups: kernel.groups(covering: (rows, 1, 1)))
    }

    private func validate(_ name: String, rows: Int, columns: Int, dimension: Int, bankRows: Int) throws {
        _ = try ElementwiseLauncher.elementCount(name, [rows, columns])
        _ = try ElementwiseLauncher.elementCount(name, [rows, dimension])
        _ = try ElementwiseLauncher.elementCount(name, [bankRows, dimension])
        try Self.requireRows(name, rows)
    }

    /// Rows map onto a workgroup axis (y, or x for the NCE kernel): at least 65535 groups on
    /// every Vulkan device.
    private static func requireRows(_ name: String, _ rows: Int) throws {
        guard rows <= 65_535 else { throw VulkanError.invalidArgument("\(name): at most 65535 rows per dispatch, got \(rows).") }
    }
}
