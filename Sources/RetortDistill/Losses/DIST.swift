import Retort

/// DIST, "Knowledge Distillation from A Stronger Teacher" (Huang et al., NeurIPS 2022), as
/// `hunto/image_classification_sota` `lib/models/losses/dist_kd.py` computes it. With
/// `y = softmax(z/τ)` and the Pearson correlation of two vectors
/// `ρ(a, b) = ⟨a − ā, b − b̄⟩ / (‖a − ā‖·‖b − b̄‖ + 1e-8)`:
///
///     inter = 1 − mean_i ρ(y_s[i, :], y_t[i, :])     (per sample, over the classes)
///     intra = 1 − mean_c ρ(y_s[:, c], y_t[:, c])     (per class, over the batch)
///     L     = β·τ²·inter + γ·τ²·intra
///
/// The intra-class term couples the whole batch. Defaults β = γ = 1, τ = 1 (ImageNet); the CIFAR
/// config uses τ = 4. The reference weights the term by 2 (`kd_loss_weight`) next to CE·1.
public struct DIST: DistillationLoss {
    /// Couples the batch: refused under several data-parallel ranks.
    public var batchCoupledTerm: String? { name }
    /// Weight of the inter-class (per-sample) relation.
    public var beta: Float
    /// Weight of the intra-class (per-class) relation.
    public var gamma: Float
    /// τ.
    public var temperature: Float

    /// The epsilon in the cosine similarity's denominator.
    static let epsilon: Float = 1e-8

    public init(beta: Float = 1, gamma: Float = 1, temperature: Float = 1) {
        self.beta = beta
        self.gamma = gamma
        self.temperature = temperature
    }

    public var name: String { "dist" }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let context = step.context
        let teacher = try step.teacher(for: name).logits.detached()  // [B, C], a constant
        let student = try step.student.logits.softmax(temperature: temperature)  // y_s: [B, C]
        let target = try context.noGrad { try teacher.softmax(temperature: temperature) }  // y_t: [B, C]
        let one = try Tensor.full(1, shape: [1], context: context)
        let squaredTemperature = temperature * temperature
        let inter = try (one - Self.meanCorrelation(student, target)).scaled(by: beta * squaredTemperature)
        let intra = try (one - Self.meanCorrelation(student.transposed(), target.transposed())).scaled(by: gamma * squaredTemperature)
        return try inter + intra
    }

    /// The mean over rows of the Pearson correlation between the rows of `a` and `b` (`[R, K]`
    /// each; `b` is a constant), as `[1]`.
    static func meanCorrelation(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let context = a.context
        let centeredA = try a.subtracting(a.mean(alongAxis: 1), per: .rows)  // [R, K]
        let (centeredB, normB) = try context.noGrad {
            let centered = try b.subtracting(b.mean(alongAxis: 1), per: .rows)
            return (centered, try centered.squared().sum(alongAxis: 1).squareRoot())  // [R, K], [R]
        }
        let dot = try (centeredA * centeredB).sum(alongAxis: 1)                  // [R]
        // ‖a‖ floored at ε: a constant row (a dead network's identical outputs) has no correlation
        // and gets a zero gradient, not √0's infinite one (PyTorch's cosine_similarity clamps too).
        let squares = try centeredA.squared().sum(alongAxis: 1)                    // [R]
        let floor = try Tensor.full(epsilon * epsilon, shape: [1], context: context)
        let normA = try ((squares - floor).relu() + floor).squareRoot()            // [R]
        let denominator = try normA * normB + Tensor.full(epsilon, shape: [1], context: context)  // [R]
        return try (dot / denominator).mean()
    }
}

extension DIST: RegisteredMethod {
    /// `--loss dist`: DIST's CIFAR recipe (kd_loss_weight 2, β 1, γ 1, T 4).
    public static let distillationMethod = DistillationMethod(
        name: "dist", kind: .offline, order: 40, summary: "DIST: β·inter + γ·intra Pearson correlation, ×τ²", lossWeight: 2,
        options: [.number("dist-beta", default: 1, help: "weight of the inter-class relation"),
                  .number("dist-gamma", default: 1, help: "weight of the intra-class relation")]
    ) { _, options in
        DIST(beta: options.float("dist-beta"), gamma: options.float("dist-gamma"), temperature: options.temperature)
    }
}

extension DistillationMethod {
    /// DIST (``DIST``).
    public static let dist = DIST.distillationMethod
}
