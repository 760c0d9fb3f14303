// Fused temperature softmax KL divergence.
//   student, teacher, studentGradient: [rows, classes]; loss: [rows]

/// Fused temperature softmax + KL divergence + gradient with respect to the student logits, in one
/// dispatch over a batch of rows.
///
/// For student logits `z_s` and teacher logits `z_t` (`[rows, classes]`, row-major fp32) and
/// temperature `T`, with `p_s = softmax(z_s / T)` and `p_t = softmax(z_t / T)`, each row `r` gets
///
/// - ``Direction/forward``: `loss[r] = scale · KL(p_t ‖ p_s)` and `∂/∂z_s = scale · (p_s − p_t) / T`
///   (classic KD; PyTorch `kl_div(log_softmax(z_s/T), softmax(z_t/T))`);
/// - ``Direction/reverse``: `loss[r] = scale · KL(p_s ‖ p_t)` and
///   `∂/∂z_s = scale · p_s ⊙ (log p_s − log p_t − KL(p_s ‖ p_t)) / T`.
///
/// `scale` carries the reduction and the weights: `T² / rows` for batchmean with the `T²` factor,
/// `T² / (rows · classes)` for an element mean (`nn.KLDivLoss()`'s default), times the loss weight.
/// The gradient written is then that of `Σ_r loss[r]`, and the per-row values are left for a
/// deterministic reduction. The teacher receives no gradient (it is a constant of the loss).
/// Logits of any magnitude give finite results (every exponent is of a max-subtracted value), and
/// identical logits give exactly zero loss and gradient.
public struct SoftmaxKLLauncher: Sendable {

    /// The push constants of `softmax_kl.comp`.
    ///
    /// - `rows`: rows (samples)
    /// - `cols`: columns (classes)
    /// - `invT`: 1 / temperature
    /// - `scale`: loss weight
    /// - `mode`: 0 forward KL(p_t ‖ p_s), 1 reverse KL(p_s ‖ p_t)
    /// - `flags`: bit 0: accumulate the student gradient; bit 1: accumulate the loss
    public struct Push: PushConstants {
        public static let count = 6
        public var rows, cols: Int
        public var invT, scale: Float
        public var mode: UInt32
        public var flags: Int

        public var values: [ShaderValue] { [.count(rows), .count(cols), .float(invT), .float(scale), .uint(mode), .count(flags)] }
    }
    /// Which way the divergence is taken.
    public enum Direction: Sendable, Hashable {
        /// `KL(p_teacher ‖ p_student)`: the usual distillation term.
        case forward
        /// `KL(p_student ‖ p_teacher)`: the reverse divergence (e.g. BD-KD's balance term).
        case reverse
    }

    /// How rows map onto invocations.
    public let mapping: SoftmaxRowMapping
    private let kernels: SoftmaxKernelPair

    /// Builds the kernels for `mapping` (by default the one preferred for `device`).
    public init(device: Device, mapping: SoftmaxRowMapping? = nil) throws {
        let mapping = mapping ?? .preferred(for: device)
        self.mapping = mapping
        kernels = try SoftmaxKernelPair(device: device, shader: .softmaxKl, bindings: { format in
            [.texel(format), .texel(format), .storage(.readWrite), .storage(.readWrite)]
        }, pushConstants: Push.self, mapping: mapping)
    }

    /// Records the loss and the student gradient into `stream`.
    ///
    /// - Parameters:
    ///   - student: `[rows, classes]` student logits.
    ///   - teacher: `[rows, classes]` teacher logits.
    ///   - studentGradient: `[rows, classes]`, receives `∂(Σ_r loss[r]) / ∂student`.
    ///   - loss: `[rows]`, receives each row's scaled divergence.
    ///   - temperature: `T > 0`; both distributions are softmaxes of logits divided by it.
    ///   - scale: multiplies the loss and the gradient (fold `T²`, the reduction and the weight in).
    ///   - accumulateGradient: add into `studentGradient` instead of overwriting it, so several
    ///     losses on the same logits sum without extra passes.
    ///   - accumulateLoss: add into `loss` instead of overwriting it.
    public func encode(into stream: CommandStream, student: Buffer, teacher: Buffer, studentGradient: Buffer, loss: Buffer,
                       rows: Int, classes: Int, temperature: Float, scale: Float = 1, direction: Direction = .forward,
                       accumulateGradient: Bool = false, accumulateLoss: Bool = false) throws {
        let name = "SoftmaxKL"
        try SoftmaxShape.validate(name, rows: rows, columns: classes, buffers: [
            ("student logits", student, classes), ("teacher logits", teacher, classes),
            ("student gradient", studentGradient, classes), ("loss", loss, 1),
        ])
        try SoftmaxShape.validate(name, temperature: temperature)
        try SoftmaxShape.validate(name, finite: scale, named: "scale")
        let flags = (accumulateGradient ? 1 : 0) | (accumulateLoss ? 2 : 0)
        try stream.dispatch(kernels.kernel(columns: classes), [student, teacher, studentGradient, loss],
                            push: Push(rows: rows, cols: classes, invT: 1 / temperature, scale: scale, mode: direction == .forward ? 0 : 1,
                                       flags: flags),
                            groups: mapping.groups(rows: rows))
    }
}
