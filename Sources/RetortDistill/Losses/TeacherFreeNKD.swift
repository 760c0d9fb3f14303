import Retort

/// Teacher-free NKD (tf-NKD; Yang et al., arXiv 2208.10139), as the old `cls_KD` code (commit
/// de48db4, `classification_distiller.py`) computes it for hard labels. With `y_t = softmax(z_s)[i,t]`
/// at each row's label:
///
///     w_t = (y_t + 1 − mean_batch(y_t)).detach()
///     L   = −(1/B) Σ_i w_t · log y_t                (log without an epsilon, as in the reference)
///
/// It is added to the cross-entropy by the caller and has no hyper-parameters. Mixed (MixUp) targets
/// are not used: the reference's two-label soft-target branch is not reproduced, the step's labels are.
public struct TeacherFreeNKD: DistillationLoss {
    /// Couples the batch (the batch mean of y_t): refused under several data-parallel ranks, by the
    /// method name users type.
    public var batchCoupledTerm: String? { Self.distillationMethod.name }
    public init() {}

    public var name: String { "tf-nkd" }
    public var teacherCount: ClosedRange<Int> { 0...0 }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let context = step.context
        let gt = try Tensor.oneHot(step.labels, classes: step.classes, context: context)
        let target = try (step.student.logits.softmax() * gt).sum(alongAxis: 1)  // y_t: [B]
        let weights = try context.noGrad {
            let y = target.detached()
            return try y + (Tensor.full(1, shape: [1], context: context) - y.mean())  // [B], a constant
        }
        return try (weights * target.log()).mean().scaled(by: -1)
    }
}

extension TeacherFreeNKD: RegisteredMethod {
    /// `--method tfnkd`: weights 1 and 1.
    public static let distillationMethod = DistillationMethod(
        name: "tfnkd", kind: .selfDistillation, order: 30, summary: "teacher-free NKD (self)"
    ) { _, _ in
        TeacherFreeNKD()
    }
}

extension DistillationMethod {
    /// Teacher-free NKD (``TeacherFreeNKD``).
    public static let tfnkd = TeacherFreeNKD.distillationMethod
}
