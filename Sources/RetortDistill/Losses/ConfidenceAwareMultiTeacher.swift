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
/// The reference's intermediate-feature term `L_inter` (`--distill inter`) is
/// ``ConfidenceAwareFeatureTerm``; the method `--loss camkd` trains
/// `L = CE + 1 · L_div + 50 · L_inter` (`--camkd-inter-weight`, 0 for `L_div` alone).
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
        guard !step.teachers.isEmpty else { throw DistillationError.missingTeacher(loss: name) }
        let batch = step.batchSize
        return try step.context.noGrad {
            let labels = try Tensor.oneHot(step.labels, classes: step.classes, context: step.context)
            let losses = try step.teachers.map { teacher -> Tensor in
                guard teacher.logits.shape == [batch, step.classes] else {
                    throw DistillationError.invalidConfiguration("camkd: teacher logits \(teacher.logits.shape), expected [\(batch), \(step.classes)].")
                }
                return try Self.crossEntropies(teacher.logits.detached(), labels: labels)
            }
            return try Self.confidenceWeights(losses, context: step.context)
        }
    }

    /// Per-sample cross-entropies `ℓ[i] = −Σ_c onehot[i, c] · log softmax(z[i])_c` as a column `[B, 1]`.
    static func crossEntropies(_ logits: Tensor, labels: Tensor) throws -> Tensor {
        try (logits.logSoftmax() * labels).sum(alongAxis: 1).scaled(by: -1).reshaped([logits.shape[0], 1])
    }

    /// CA-MKD's weights `w_k[i] = (1 − softmax_k(ℓ[:, i])_k) / (K − 1)` from the columns `ℓ_k: [B, 1]`,
    /// as `[B, K]`; all 1 for one teacher. Differentiable: a caller wanting constants runs it without a tape.
    static func confidenceWeights(_ losses: [Tensor], context: Context) throws -> Tensor {
        guard losses.count > 1 else { return try Tensor.full(1, shape: [losses.first?.shape[0] ?? 0, 1], context: context) }
        let relative = try Tensor.concatenated(losses, along: 1).softmax()  // softmax over teachers: [B, K]
        let share = 1 / Float(losses.count - 1)
        return try relative.scaled(by: -share) + Tensor.full(share, shape: [1], context: context)
    }
}

extension ConfidenceAwareMultiTeacher: RegisteredMethod {
    /// `--loss camkd`: `CE + L_div + 50 · L_inter`, T 4 (the reference's `-r 1 -a 1 -b 50 --distill inter`).
    public static let distillationMethod = DistillationMethod(
        name: "camkd", kind: .offline, order: 70,
        summary: "confidence-aware multi-teacher: per-sample teacher weights from their CE, plus the embedded-feature term",
        options: [.number("camkd-inter-weight", default: Double(ConfidenceAwareFeatureTerm.defaultWeight),
                          help: "weight b of the feature term L_inter (0: the logit term alone)"),
                  .number("camkd-inter-from", default: Double(ConfidenceAwareFeatureTerm.defaultFirstEpoch), in: 0...1e6,
                          help: "first epoch (from 0) in which L_inter counts; the reference skips its first")],
        acceptsSeveralTeachers: true
    ) { setup, options in
        var terms: [(weight: Float, loss: any DistillationLoss)] = [
            (options.crossEntropyWeight, setup.crossEntropy),
            (options.lossWeight, ConfidenceAwareMultiTeacher(temperature: options.temperature))]
        let interWeight = options.float("camkd-inter-weight")
        if interWeight != 0 {
            terms.append((interWeight, try ConfidenceAwareFeatureTerm(
                teachers: setup.teachers, studentShape: setup.studentStage, teacherShapes: setup.teacherStages,
                firstEpoch: options.integer("camkd-inter-from"), seed: setup.seed, context: setup.context)))
        }
        return (WeightedLoss(terms), nil)
    }
}

extension DistillationMethod {
    /// Confidence-aware multi-teacher KD (``ConfidenceAwareMultiTeacher``).
    public static let camkd = ConfidenceAwareMultiTeacher.distillationMethod
}
