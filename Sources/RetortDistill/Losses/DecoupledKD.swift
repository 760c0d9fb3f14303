import Retort

/// Decoupled knowledge distillation (Zhao et al., CVPR 2022), as mdistiller's `distillers/DKD.py`
/// computes it. With `p = softmax(z/T)`, the label `t` of each row and the binary split
/// `b = [p_t, Σ_{j≠t} p_j]`:
///
///     TCKD = T²/B · Σ_i KL(b_t[i] ‖ b_s[i])                      (log b_s without an epsilon)
///     NCKD = T²/B · Σ_i KL(softmax(z_t/T − 1000·gt) ‖ softmax(z_s/T − 1000·gt))
///     L    = min((epoch + 1) / warmup, 1) · (α·TCKD + β·NCKD)
///
/// `epoch` counts from 0 here and from 1 in mdistiller, so its `epoch / warmup` is `(epoch + 1) / warmup` here.
/// The cross-entropy term mdistiller adds (weight 1) is not part of this term. Defaults are
/// mdistiller's: α = 1, β = 8, T = 4, 20 warm-up epochs (CIFAR-100 pairs override β, see the
/// method notes; ImageNet uses T = 1, β = 0.5, warm-up 1).
public struct DecoupledKD: DistillationLoss {
    /// Weight of the target-class term (TCKD).
    public var alpha: Float
    /// Weight of the non-target-class term (NCKD).
    public var beta: Float
    public var temperature: Float
    /// Epochs over which the term ramps up linearly; 0 or less disables the ramp.
    public var warmupEpochs: Int

    /// The logit offset mdistiller subtracts (after the division by T) at the label to remove the
    /// target class from the non-target distributions.
    static let maskOffset: Float = 1000

    public init(alpha: Float = 1, beta: Float = 8, temperature: Float = 4, warmupEpochs: Int = 20) {
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.warmupEpochs = warmupEpochs
    }

    public var name: String { "dkd" }

    /// `min((epoch + 1) / warmupEpochs, 1)` for a 0-based epoch.
    public func warmupFactor(epoch: Int) -> Float {
        guard warmupEpochs > 0 else { return 1 }
        return min(Float(epoch + 1) / Float(warmupEpochs), 1)
    }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let teacher = try step.teacher(for: name).logits.detached()  // [B, C], a constant
        let student = step.student.logits                             // [B, C]
        let context = step.context
        let (rows, classes) = (step.batchSize, step.classes)
        let factor = warmupFactor(epoch: step.epoch)
        let scale = temperature * temperature / Float(rows)

        // Label masks: gt [B, C] is the one-hot label, other = 1 − gt.
        let gt = try Tensor.oneHot(step.labels, classes: classes, context: context)
        let other = try Tensor.oneHot(step.labels, classes: classes, on: 0, off: 1, context: context)

        // TCKD: binary (target, rest) probabilities.
        let studentProbabilities = try student.softmax(temperature: temperature)  // [B, C]
        let studentTarget = try (studentProbabilities * gt).sum(alongAxis: 1)     // [B]
        let studentRest = try (studentProbabilities * other).sum(alongAxis: 1)    // [B]
        let (teacherTarget, teacherRest, teacherNegentropy) = try context.noGrad {
            let probabilities = try teacher.softmax(temperature: temperature)
            let target = try (probabilities * gt).sum(alongAxis: 1), rest = try (probabilities * other).sum(alongAxis: 1)
            // Σ_i b log b, with 0·log 0 = 0 as kl_div's xlogy has it: the 1e-30 is below one ulp of
            // any b that is not (nearly) zero, so it changes nothing else.
            let tiny = try Tensor.full(1e-30, shape: [1], context: context)
            let negentropy = try (target * (target + tiny).log() + rest * (rest + tiny).log()).sum()  // [1]
            return (target, rest, negentropy)
        }
        let crossTerm = try (teacherTarget * studentTarget.log() + teacherRest * studentRest.log()).sum()  // [1]
        let tckd = try (teacherNegentropy - crossTerm).scaled(by: factor * alpha * scale)

        // NCKD: the fused KL of the distributions with the label's logit pushed to −1000 after /T.
        let mask = try Tensor.oneHot(step.labels, classes: classes, on: Self.maskOffset * temperature, context: context)
        let maskedTeacher = try context.noGrad { try teacher - mask }
        let nckd = try (student - mask).klDivergence(teacher: maskedTeacher, temperature: temperature, scale: factor * beta * scale)
        return try tckd + nckd
    }
}

extension DecoupledKD: RegisteredMethod {
    /// `--loss dkd`: mdistiller's CIFAR recipe (α 1, β 8, T 4, 20 warm-up epochs).
    public static let distillationMethod = DistillationMethod(
        name: "dkd", kind: .offline, order: 20, summary: "decoupled KD: α·TCKD + β·NCKD, linear warm-up",
        options: [.number("dkd-alpha", default: 1, help: "weight of the target-class term"),
                  .number("dkd-beta", default: 8, help: "weight of the non-target term"),
                  .number("dkd-warmup", default: 20, help: "epochs of linear warm-up")]
    ) { _, options in
        DecoupledKD(alpha: options.float("dkd-alpha"), beta: options.float("dkd-beta"), temperature: options.temperature,
                    warmupEpochs: options.integer("dkd-warmup"))
    }
}

extension DistillationMethod {
    /// Decoupled KD (``DecoupledKD``).
    public static let dkd = DecoupledKD.distillationMethod
}
