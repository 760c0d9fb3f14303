// Fused softmax cross-entropy.
//   logits, gradient: [rows, classes]; labels, loss: [rows]

/// Fused softmax + cross-entropy with integer labels and label smoothing + gradient with respect to
/// the logits, in one dispatch over a batch of rows.
///
/// PyTorch semantics (`F.cross_entropy(z, y, label_smoothing: ε, reduction: "none")`): with
/// `target = (1 − ε) · onehot(y) + ε / classes`, each row `r` gets
/// `loss[r] = scale · −Σ_c target_c · log softmax(z)_c` and `∂/∂z = scale · (softmax(z) − target)`.
/// `scale` carries the reduction (`1 / rows` for the mean) and the loss weight; the gradient written
/// is that of `Σ_r loss[r]`.
///
/// Labels are `Int32` on the device, so the launcher cannot check them: a label outside
/// `0 ..< classes` makes that row's loss and gradient NaN (no out-of-bounds read), which shows up in
/// the summed loss. There is no `ignore_index`.
public struct CrossEntropyLauncher: Sendable {

    /// The push constants of `cross_entropy.comp`.
    ///
    /// - `rows`: rows (samples)
    /// - `cols`: columns (classes)
    /// - `smoothing`: label smoothing ε in [0, 1]
    /// - `scale`: loss weight (1/B for a mean)
    /// - `flags`: bit 0: accumulate the logit gradient; bit 1: accumulate the loss
    public struct Push: PushConstants {
        public static let count = 5
        public var rows, cols: Int
        public var smoothing, scale: Float
        public var flags: Int

        public var values: [ShaderValue] { [.count(rows), .count(cols), .float(smoothing), .float(scale), .count(flags)] }
    }
    /// How rows map onto invocations.
    public let mapping: SoftmaxRowMapping
    private let kernels: SoftmaxKernelPair

    /// Builds the kernels for `mapping` (by default the one preferred for `device`).
    public init(device: Device, mapping: SoftmaxRowMapping? = nil) throws {
        let mapping = mapping ?? .preferred(for: device)
        self.mapping = mapping
        kernels = try SoftmaxKernelPair(device: device, shader: .crossEntropy, bindings: { format in
            [.texel(format), .texel(.r32i), .storage(.readWrite), .storage(.readWrite)]
        }, pushConstants: Push.self, mapping: mapping)
    }

    /// Records the loss and the logit gradient into `stream`.
    ///
    /// - Parameters:
    ///   - logits: `[rows, classes]`.
    ///   - labels: `[rows]` `Int32` class indices.
    ///   - gradient: `[rows, classes]`, receives `∂(Σ_r loss[r]) / ∂logits`.
    ///   - loss: `[rows]`, receives each row's scaled cross-entropy.
    ///   - labelSmoothing: `ε` in `0...1`.
    ///   - scale: multiplies the loss and the gradient.
    ///   - accumulateGradient: add into `gradient` instead of overwriting it.
    ///   - accumulateLoss: add into `loss` instead of overwriting it.
    public func encode(into stream: CommandStream, logits: Buffer, labels: Buffer, gradient: Buffer, loss: Buffer,
                       rows: Int, classes: Int, labelSmoothing: Float = 0, scale: Float = 1,
                       accumulateGradient: Bool = false, accumulateLoss: Bool = false) throws {
        let name = "CrossEntropy"
        try SoftmaxShape.validate(name, rows: rows, columns: classes, buffers: [
            ("logits", logits, classes), ("labels", labels, 1),
            ("gradient", gradient, classes), ("loss", loss, 1),
        ])
        guard labelSmoothing >= 0, labelSmoothing <= 1 else {
            throw VulkanError.invalidArgument("\(name) [\(rows), \(classes)]: label smoothing must be in 0...1, got \(labelSmoothing).")
        }
        try SoftmaxShape.validate(name, finite: scale, named: "scale")
        let flags = (accumulateGradient ? 1 : 0) | (accumulateLoss ? 2 : 0)
        try stream.dispatch(kernels.kernel(columns: classes), [logits, labels, gradient, loss],
                            push: Push(rows: rows, cols: classes, smoothing: labelSmoothing, scale: scale, flags: flags),
                            groups: mapping.groups(rows: rows))
    }
}
