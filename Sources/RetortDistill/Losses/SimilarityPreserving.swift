import Retort
import RetortNN

/// Similarity-preserving KD (Tung & Mori, ICCV 2019), RepDistiller `distiller_zoo/SP.py`: the
/// student's batch similarity matrix should match the teacher's.
///
/// With `A = f.view(B, −1)` (a feature tap flattened per sample) and
/// `G = normalize_rows(A Aᵀ)` (`F.normalize(·, dim=1)`: each row divided by `max(‖row‖₂, 1e-12)`),
/// `L_SP = ‖G_t − G_s‖²_F / B²`.
///
/// The tap is the last stage's output by default (RepDistiller's `feat[-2]`, the feature map before
/// pooling; mdistiller's `feats[-1]`). The reference weight is γ = 3000 (RepDistiller `-b 3000`,
/// mdistiller `SP.LOSS.FEAT_WEIGHT`): this term returns the unweighted `L_SP`, and the caller
/// multiplies it by ``defaultWeight`` through ``WeightedLoss``. With several teachers the term is
/// the mean of the per-teacher losses. Teacher features are constants (their Gram matrices are
/// computed without the tape). Student and teacher feature sizes may differ: only the `B × B`
/// matrices are compared.
public struct SimilarityPreserving: DistillationLoss {
    /// Couples the batch: refused under several data-parallel ranks.
    public var batchCoupledTerm: String? { name }
    /// Which feature tap the similarities are taken of.
    public enum Feature: Hashable, Sendable {
        /// The last entry of ``FeatureTaps/stages`` (the last stage's output, before pooling).
        case lastStage
        /// ``FeatureTaps/stages`` at this index (0 = stem output).
        case stage(Int)
        /// The pooled feature vector ``FeatureTaps/pooled``.
        case pooled
    }

    /// γ of the references (RepDistiller, mdistiller): the weight of this term next to cross-entropy (weight 1).
    public static let defaultWeight: Float = 3000

    public var feature: Feature

    public init(feature: Feature = .lastStage) {
        self.feature = feature
    }

    public var name: String { "sp" }
    public var teacherCount: ClosedRange<Int> { 1...Int.max }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        guard !step.teachers.isEmpty else { throw DistillationError.missingTeacher(loss: name) }
        let studentGram = try gram(of: tap(step.student, role: "student"))
        let batch = studentGram.shape[0]
        var total: Tensor?
        for (index, teacher) in step.teachers.enumerated() {
            let teacherGram = try step.context.noGrad { try gram(of: tap(teacher, role: "teacher \(index)")) }
            guard teacherGram.shape == studentGram.shape else {
                throw DistillationError.invalidConfiguration("sp: teacher \(index) has \(teacherGram.shape[0]) samples, the student \(batch).")
            }
            let term = try (teacherGram - studentGram).squared().sum()
            total = try total.map { try $0 + term } ?? term
        }
        return try total!.scaled(by: 1 / (Float(batch * batch) * Float(step.teachers.count)))
    }

    /// The row-normalized Gram matrix `[B, B]` of a feature flattened per sample.
    func gram(of feature: Tensor) throws -> Tensor {
        let flat = feature.shape.count == 2 ? feature : try feature.flattened(from: 1)  // A: [B, D]
        return try flat.matmul(flat.transposed()).normalizedRows()  // G: [B, B]
    }

    private func tap(_ taps: FeatureTaps, role: String) throws -> Tensor {
        switch feature {
        case .pooled:
            return taps.pooled
        case .lastStage:
            guard let last = taps.stages.last else {
                throw DistillationError.invalidConfiguration("sp: the \(role) has no stage features (the model gave no feature taps).")
            }
            return last
        case .stage(let index):
            guard taps.stages.indices.contains(index) else {
                throw DistillationError.invalidConfiguration("sp: the \(role) has \(taps.stages.count) stage features, no stage \(index).")
            }
            return taps.stages[index]
        }
    }
}

extension SimilarityPreserving: RegisteredMethod {
    /// `--loss sp`: RepDistiller's `-b 3000`.
    public static let distillationMethod = DistillationMethod(
        name: "sp", kind: .offline, order: 50, summary: "similarity-preserving: batch Gram matrices of the last stage", lossWeight: 3000
    ) { _, _ in
        SimilarityPreserving()
    }
}

extension DistillationMethod {
    /// Similarity-preserving KD (``SimilarityPreserving``).
    public static let sp = SimilarityPreserving.distillationMethod
}
