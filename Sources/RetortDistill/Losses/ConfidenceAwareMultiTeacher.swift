import Retort

/// Confidence-aware multi-teacher KD, CA-MKD (Zhang, Chen & Wang, ICASSP 2022), the logit term
/// `L_div` of the reference code (`helper/loops.py` with `ensemble_method == 'CAMKD'`,
/// `DistillKL(is_ca=True)`): each teacher's KD term is weighted per sample by how well that
/// teacher predicts the label, relative to the other teachers.
///
/// With `K` teachers, per-sample cross-entropies `ℓ_k[i] = CE(z_tk[i], y[i])` (temperature 1),
/// `w_k[i] = (1 − softmax_k(ℓ[:, i])_k) / (K − 1)` (a softmax across teachers, so `Σ_k w_k[i] = 1`
/// and the teacher with the lower loss gets the larger weight; `w = 1` for a single teacher), and
/// `KL_k[i] = T² Σ_c p_tk[i,c] (log p_tk[i,c] − log p_s[i,c])` with `p = softmax(z / T)`:
///
/// `L_div = Σ_k Σ_i w_k[i] · KL_k[i] / (B · K)`.
///
/// The weights and the teacher distributions are constants (no gradient reaches the teachers). With
/// one teacher the term is Hinton's KD with `batchmean` and `T²`. The labels are the hard labels of
/// the step (soft MixUp targets are not used by the weighting).
///
/// Not included: the reference's intermediate-feature term `L_inter` (`--distill inter`, weight
/// b = 50), which needs learned per-teacher embeddings of the student's `feat[-2]` mapped through the
/// teachers' heads. The reference total is `L = CE + 1 · L_div (+ 50 · L_inter)`; combine this term
/// with cross-entropy through ``WeightedLoss``.
public struct ConfidenceAwareMultiTeacher: DistillationLoss {
    /// The softmax temperature `T` of the distillation term (reference default 4).
    public var temperature: Float

    public init(temperature: Float = 4) {
        self.temperature = temperature
    }

    public var name: String { "camkd" }
    public var teacherCount: ClosedRange<Int> { 1...Int.max }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let teachers = step.teachers.count
        let weights = try teacherWeights(step)  // [B, K]
        let batch = step.batchSize
        let logStudent = try step.student.logits.logSoftmax(temperature: temperature)  // log p_s: [B, C]
        var total: Tensor?
        for (k, teacher) in step.teachers.enumerated() {
            let (probabilities, logProbabilities, weight) = try step.context.noGrad {
                let logits = teacher.logits.detached()
                guard logits.shape == step.student.logits.shape else {
                    throw DistillationError.invalidConfiguration("camkd: teacher \(k) gives logits \(logits.shape), the student \(step.student.logits.shape).")
                }
                return (try logits.softmax(temperature: temperature), try logits.logSoftmax(temperature: temperature),
                        try weights.sliced(k..<(k + 1), along: 1).reshaped([batch]))
            }
            let divergence = try ((logProbabilities - logStudent) * probabilities).sum(alongAxis: 1)  // KL_k / T²: [B]
            let term = try (divergence * weight).sum()
            total = try total.map { try $0 + term } ?? term
        }
        guard teachers > 0, let total else { throw DistillationError.missingTeacher(loss: name) }
        return try total.scaled(by: temperature * temperature / Float(batch * teachers))
    }

    /// The per-sample teacher weights `w: [B, K]` (each row sums to 1), a constant.
    public func teacherWeights(_ step: DistillationStep) throws -> Tensor {
        let teachers = step.teachers.count
        guard teachers > 0 else { throw DistillationError.missingTeacher(loss: name) }
        let batch = step.batchSize
        return try step.context.noGrad {
            guard teachers > 1 else { return try Tensor.full(1, shape: [batch, 1], context: step.context) }
            let labels = try Tensor.oneHot(step.labels, classes: step.classes, context: step.context)
            // ℓ_k[i] = −Σ_c onehot[i, c] · log softmax(z_tk[i])_c, as columns of [B, K]
            let losses = try step.teachers.map { teacher -> Tensor in
                guard teacher.logits.shape == [batch, step.classes] else {
                    throw DistillationError.invalidConfiguration("camkd: teacher logits \(teacher.logits.shape), expected [\(batch), \(step.classes)].")
                }
                return try (teacher.logits.detached().logSoftmax() * labels).sum(alongAxis: 1).scaled(by: -1).reshaped([batch, 1])
            }
            let relative = try Tensor.concatenated(losses, along: 1).softmax()  // softmax over teachers: [B, K]
            let share = 1 / Float(teachers - 1)
            return try relative.scaled(by: -share) + Tensor.full(share, shape: [1], context: step.context)
        }
    }
}

extension ConfidenceAwareMultiTeacher: RegisteredMethod {
    /// `--loss camkd`: T 4, weights 1 and 1.
    public static let distillationMethod = DistillationMethod(
        name: "camkd", kind: .offline, order: 70, summary: "confidence-aware multi-teacher: per-sample teacher weights from their CE",
        acceptsSeveralTeachers: true
    ) { _, options in
        ConfidenceAwareMultiTeacher(temperature: options.temperature)
    }
}

extension DistillationMethod {
    /// Confidence-aware multi-teacher KD (``ConfidenceAwareMultiTeacher``).
    public static let camkd = ConfidenceAwareMultiTeacher.distillationMethod
}
