import Retort

/// The KD term of MIX-KD (Choi et al., WACV 2023), meant for mixed inputs: each logit row is divided
/// by its own standard deviation instead of a shared temperature.
///
/// With student and teacher logits `z_s`, `z_t` (`[B, C]`, both computed on the mixed images):
/// ```
/// σ_s[i] = std(z_s[i, :]),  σ_t[i] = std(z_t[i, :])      (unbiased, ÷(C − 1): torch.std's default)
/// L = (1/B) · Σ_i KL(softmax(z_t[i]/σ_t[i]) ‖ softmax(z_s[i]/σ_s[i]))    (KLDivLoss batchmean, no T²)
/// ```
/// The gradient flows through σ_s as well (the reference does not detach it); the teacher is a
/// constant. With a fixed `temperature` T instead, the term is plain KD:
/// `T² · (1/B) · Σ_i KL(softmax(z_t/T) ‖ softmax(z_s/T))`.
///
/// Source: MIX-KD `distiller_zoo/MIXSTD.py` (`MIXSTDLoss`), `helper/loops_mixstd.py`; reference
/// weights α = 0.9 on this term and γ = 0.1 on the classification term. That classification term
/// is `−(1/B) Σ ỹ · log_softmax(z_s/σ_s)` with the mixed soft labels ỹ, on the σ-scaled logits: a
/// `CrossEntropyLoss` reading `step.targets` computes it on the unscaled logits instead. To follow
/// the reference exactly, set `classificationWeight` to γ/α (with weight α on this term) and add no
/// separate cross-entropy: the term then adds `classificationWeight · (−(1/B) Σ ỹ · log_softmax(z_s/σ_s))`
/// (ỹ = `step.targets`, or the one-hot labels when the batch was not mixed; with a fixed
/// temperature the classification term uses `z_s/T`). A row whose logits are all equal has σ = 0
/// and gives NaN, as in the reference.
public struct MixUpDistillation: DistillationLoss {
    /// Couples the batch: refused under several data-parallel ranks.
    public var batchCoupledTerm: String? { name }
    /// nil: divide each row by its own standard deviation (MIX-KD); a number: the fixed temperature T
    /// of plain KD, with the T² factor.
    public var temperature: Float?
    /// Weight of the classification term on the scaled student logits (0: KD term only).
    public var classificationWeight: Float

    public init(temperature: Float? = nil, classificationWeight: Float = 0) {
        self.temperature = temperature
        self.classificationWeight = classificationWeight
    }

    public var name: String { "mixkd" }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let teacher = try step.teacher(for: name).logits                            // z_t: [B, C]
        let student = step.student.logits                                           // z_s: [B, C]
        guard student.shape.count == 2, student.shape == teacher.shape, student.shape[1] >= 2 else {
            throw DistillationError.invalidConfiguration("mixkd: student and teacher logits must both be [B, C] with C ≥ 2, got \(student.shape) and \(teacher.shape).")
        }
        let batch = Float(student.shape[0])
        let divergence: Tensor, scaledStudent: Tensor
        if let temperature {
            guard temperature > 0, temperature.isFinite else {
                throw DistillationError.invalidConfiguration("mixkd: the temperature must be positive, got \(temperature).")
            }
            divergence = try student.klDivergence(teacher: teacher, temperature: temperature, scale: temperature * temperature / batch)
            scaledStudent = temperature == 1 ? student : try student.scaled(by: 1 / temperature)
        } else {
            scaledStudent = try Self.standardScaled(student)                                    // z_s / σ_s, recorded
            let scaledTeacher = try step.context.noGrad { try Self.standardScaled(teacher.detached()) }  // z_t / σ_t
            divergence = try scaledStudent.klDivergence(teacher: scaledTeacher, temperature: 1, scale: 1 / batch)
        }
        guard classificationWeight != 0 else { return divergence }
        let targets = try step.targets ?? Tensor.oneHot(step.labels, classes: student.shape[1], context: step.context)  // ỹ: [B, C]
        let classification = try (scaledStudent.logSoftmax() * targets).sum().scaled(by: -classificationWeight / batch)
        return try divergence + classification
    }

    /// `z / σ` per row, `σ = √(Σ_c (z_c − mean z)² / (C − 1))`, composed of recorded ops so the
    /// gradient flows through σ.
    static func standardScaled(_ logits: Tensor) throws -> Tensor {
        let classes = logits.shape[1]
        let centered = try logits.subtracting(logits.mean(alongAxis: 1), per: .rows)                 // [B, C]
        let variance = try centered.squared().sum(alongAxis: 1).scaled(by: 1 / Float(classes - 1))  // [B]
        return try logits.multiplying(variance.squareRoot().reciprocal(), per: .rows)                // [B, C]
    }
}

extension MixUpDistillation: RegisteredMethod {
    /// `--loss mixkd`: MIX-KD (γ 0.1, α 0.9, each sample's logit std as temperature unless given).
    ///
    /// γ·CE(ỹ, z_s/σ_s) + α·KL(p_t^{σ_t} ‖ p_s^{σ_s}) on partially mixed batches; the classification
    /// term uses the same σ-scaled logits, so it lives inside the term.
    public static let distillationMethod = DistillationMethod(
        name: "mixkd", kind: .offline, order: 80, summary: "MixUp (partial) + KD with each sample's logit std as temperature",
        crossEntropyWeight: 0.1, lossWeight: 0.9,
        options: [.number("mixup-alpha", default: 1, help: "Beta(α, α) of the mixing weights"),
                  .number("mixup-unmixed", default: 0.9, help: "fraction of each batch left unmixed")]
    ) { setup, options in
        let mixUp = MixUp(classes: setup.classes, alpha: options.float("mixup-alpha"), unmixedFraction: options.float("mixup-unmixed"))
        let weight = options.lossWeight
        let term = MixUpDistillation(temperature: options.given[DistillationMethod.temperatureKey].map(Float.init),
                                     classificationWeight: weight == 0 ? 0 : options.crossEntropyWeight / weight)
        return (WeightedLoss([(weight, term)]), mixUp)
    }
}

extension DistillationMethod {
    /// MIX-KD (``MixUpDistillation``).
    public static let mixkd = MixUpDistillation.distillationMethod
}
