import Retort

/// BD-KD — Balancing the Divergences for online KD (Amara et al., arXiv 2212.12965; kd-methods
/// §4.5), two networks: the first is the teacher, the second the student; both step on every batch.
/// The paper defines no form for more networks, so the method takes exactly two.
///
///     L_s = CE(z_s, y) + mean_i [ w_i · KL(p_t ‖ p_s)_i + (1 − w_i) · KL(p_s ‖ p_t)_i ]
///     L_t = CE(z_t, y) + λ · mean_i KL(p_t ‖ p_s)_i        (p_s detached: the reverse KL, seen from the teacher)
///
/// at T = 1 (the online-KD convention of DML and SwitOKD), KLs summed over classes and averaged over
/// the batch. No public code or formula exists for the weights: `w_i = f(H(p_t,i), H(p_s,i))` comes
/// from a ``DivergenceWeighting`` (default ``EntropyShareWeighting``), computed from the detached
/// outputs, so the weights are constants. For the teacher, the usual online term would be the
/// forward KL toward the student, `KL(p_s ‖ p_t)`; the summaries say the teacher "uses reverse KL as
/// a regularizer", so its term is `KL(p_t ‖ p_s)` with the student detached (mode-seeking: the
/// teacher is pulled toward the student's prediction without having to cover it), weighted by
/// `teacherWeight` (λ, default 1).
///
/// The student's per-row KLs are composed of tensor ops (softmax, logSoftmax, multiply, a row sum),
/// so their gradients come from autograd; the teacher's term is the fused KL.
public struct BalancedDivergenceKD: OnlineObjective {
    public var weighting: any DivergenceWeighting
    /// λ of the teacher's reverse-KL term.
    public var teacherWeight: Float
    public var labelSmoothing: Float

    public init(weighting: any DivergenceWeighting = EntropyShareWeighting(), teacherWeight: Float = 1, labelSmoothing: Float = 0) {
        self.weighting = weighting
        self.teacherWeight = teacherWeight
        self.labelSmoothing = labelSmoothing
    }

    public var name: String { "bdkd (\(weighting.name))" }
    public var networkCount: ClosedRange<Int> { 2...2 }

    public func losses(_ step: OnlineStep) throws -> OnlineLosses {
        try checkNetworks(step)
        let (teacher, student) = (step.logits[0], step.logits[1])
        return OnlineLosses(losses: [try teacherLoss(teacher: teacher, student: student, labels: step.labels),
                                     try studentLoss(student: student, teacher: teacher, labels: step.labels)])
    }

    /// `L_s`; the teacher's logits are read detached.
    public func studentLoss(student: Tensor, teacher: Tensor, labels: [Int]) throws -> Tensor {
        try student.crossEntropy(labels: labels, labelSmoothing: labelSmoothing) + balancedDivergence(student: student, teacher: teacher)
    }

    /// `L_t`; the student's logits are read detached.
    public func teacherLoss(teacher: Tensor, student: Tensor, labels: [Int]) throws -> Tensor {
        // reverse: KL(softmax(z_t) ‖ softmax(z_s)), gradient to z_t only.
        try teacher.crossEntropy(labels: labels, labelSmoothing: labelSmoothing)
            + teacher.klDivergence(teacher: student.detached(), temperature: 1, scale: teacherWeight / Float(labels.count), reverse: true)
    }

    /// `mean_i [w_i · KL(p_t ‖ p_s)_i + (1 − w_i) · KL(p_s ‖ p_t)_i]` as `[1]`; gradient to `student` only.
    public func balancedDivergence(student: Tensor, teacher: Tensor) throws -> Tensor {
        let context = student.context
        // Constants: the teacher's distribution, both entropies and the weights. Each: [B, C] or [B].
        let (pt, logPt, w, oneMinusW) = try context.noGrad { () throws -> (Tensor, Tensor, Tensor, Tensor) in
            let zt = teacher.detached(), zs = student.detached()
            let pt = try zt.softmax(), logPt = try zt.logSoftmax()
            let teacherEntropy = try (pt * logPt).sum(alongAxis: 1).scaled(by: -1)                        // [B]
            let studentEntropy = try (zs.softmax() * zs.logSoftmax()).sum(alongAxis: 1).scaled(by: -1)   // [B]
            let w = try weighting.weights(teacherEntropy: teacherEntropy, studentEntropy: studentEntropy)  // [B]
            guard w.shape == [student.shape[0]] else {
                throw DistillationError.invalidConfiguration("\(weighting.name) weighting gave \(w.shape) weights for \(student.shape[0]) samples")
            }
            return (pt, logPt, w, try Tensor.full(1, shape: w.shape, context: context) - w)
        }
        let logPs = try student.logSoftmax(), ps = try student.softmax()         // [B, C], recorded
        let forward = try (pt * (logPt - logPs)).sum(alongAxis: 1)              // [B]: KL(p_t ‖ p_s)_i
        let reverse = try (ps * (logPs - logPt)).sum(alongAxis: 1)              // [B]: KL(p_s ‖ p_t)_i
        return try (forward * w + reverse * oneMinusW).mean()
    }
}

extension BalancedDivergenceKD: RegisteredOnlineMethod {
    /// `--method bdkd`: teacher first, student second.
    public static let onlineMethod = OnlineMethod(
        name: "bdkd", order: 30, summary: "balanced divergence KD: forward and reverse KL weighted by entropy", networks: 2...2,
        networksNote: "BD-KD's paper defines its losses for one teacher and one student only (no form for more networks is "
            + "published); for three networks use dml or switokd --topology 1t2s|2t1s"
    ) { labelSmoothing, _, _ in
        BalancedDivergenceKD(labelSmoothing: labelSmoothing)
    }
}
