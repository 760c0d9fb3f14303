import Retort

/// SwitOKD — Switchable Online KD (Qian et al., ECCV 2022; kd-methods §4.4), two networks: the
/// first is the teacher, the second the student. Each step measures ``SwitOKDDecision``'s errors
/// and gap on the detached outputs (on the device; three scalars come back) and then
///
/// - **expert** mode: only the student steps, `L_s = CE(z_s, y) + KL(p_t ‖ p_s)`;
/// - **learning** mode: both step, `L_t = CE(z_t, y) + KL(p_s ‖ p_t)` and `L_s` as above (DML).
///
/// KLs at T = 1, batch mean, target detached, no T² (the reference's `kl_div`).
public struct SwitchableOnlineKD: OnlineObjective {
    public var labelSmoothing: Float

    public init(labelSmoothing: Float = 0) {
        self.labelSmoothing = labelSmoothing
    }

    public var name: String { "switokd" }
    public var networkCount: ClosedRange<Int> { 2...2 }
    public var modes: [String] { SwitOKDDecision.Mode.allCases.map(\.rawValue) }
    public var diagnosticKeys: [String] { ["G", "delta", "s_label", "t_label"] }

    public func losses(_ step: OnlineStep) throws -> OnlineLosses {
        try checkNetworks(step)
        let (teacher, student) = (step.logits[0], step.logits[1])
        let decision = try Self.decision(teacher: teacher, student: student, labels: step.labels)
        let scale = 1 / Float(step.batchSize)
        let studentLoss = try student.crossEntropy(labels: step.labels, labelSmoothing: labelSmoothing)
            + student.klDivergence(teacher: teacher.detached(), temperature: 1, scale: scale)
        var teacherLoss: Tensor?
        if decision.mode == .learning {
            teacherLoss = try teacher.crossEntropy(labels: step.labels, labelSmoothing: labelSmoothing)
                + teacher.klDivergence(teacher: student.detached(), temperature: 1, scale: scale)
        }
        return OnlineLosses(losses: [teacherLoss, studentLoss], mode: decision.mode.rawValue,
                            diagnostics: ["G": decision.gap, "delta": decision.threshold, "s_label": decision.studentError,
                                          "t_label": decision.teacherError])
    }

    /// The errors and gap of one batch, from detached logits `[B, C]`.
    public static func decision(teacher: Tensor, student: Tensor, labels: [Int]) throws -> SwitOKDDecision {
        let context = teacher.context
        let (studentError, teacherError, gap) = try context.noGrad { () throws -> (Tensor, Tensor, Tensor) in
            let pt = try teacher.detached().softmax(), ps = try student.detached().softmax()    // [B, C]
            let y = try Tensor.oneHot(labels, classes: teacher.shape[1], context: context)     // [B, C]
            return (try meanL1(ps, y), try meanL1(pt, y), try meanL1(pt, ps))
        }
        return SwitOKDDecision(studentError: Double(try studentError.item()), teacherError: Double(try teacherError.item()),
                               gap: Double(try gap.item()))
    }

    /// `mean_i Σ_c |a − b|` of two `[B, C]` tensors, as `[1]` (|d| = relu(d) + relu(−d)).
    static func meanL1(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let difference = try a - b
        return try (difference.relu() + difference.scaled(by: -1).relu()).sum(alongAxis: 1).mean()
    }
}

extension SwitchableOnlineKD: RegisteredOnlineMethod {
    /// `--method switokd`: teacher first, student second.
    public static let onlineMethod = OnlineMethod(
        name: "switokd", order: 20, summary: "switchable online KD: the teacher pauses while the gap is small", networks: 2...2
    ) { labelSmoothing, _ in
        SwitchableOnlineKD(labelSmoothing: labelSmoothing)
    }
}
