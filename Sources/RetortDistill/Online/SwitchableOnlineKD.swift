import Retort

/// SwitOKD — Switchable Online KD (Qian et al., ECCV 2022; kd-methods §4.4), on the teacher–student
/// pairs of a ``SwitOKDTopology``: one teacher and one student, or the paper's three-network 1t2s
/// and 2t1s. Each step measures every pair's ``SwitOKDDecision`` (errors and gap on the detached
/// outputs, on the device; three scalars per pair come back); a pair is in **expert** mode when
/// its rule says so, in **learning** mode otherwise. Then every network `n` gets DML's loss,
///
///     L_n = CE(z_n, y) + Σ_{m ≠ n} KL(p_m ‖ p_n),
///
/// less the KL from each student whose pair with `n` (as its teacher) is in expert mode; a teacher
/// whose pairs are all in expert mode does not step. Students always step. With two networks: in
/// expert mode only the student steps, `L_s = CE(z_s, y) + KL(p_t ‖ p_s)`; in learning mode both
/// step, `L_t = CE(z_t, y) + KL(p_s ‖ p_t)` (DML). With three, as the reference's multi-net code:
/// in 1t2s the students also learn from each other, and the teacher's loss keeps the KL of each
/// student whose pair is learning; in 2t1s a learning teacher also learns from the other teacher.
///
/// Each pair's threshold comes from its own errors (`ε = exp(−t/(t + s))` of that pair, as in the
/// paper; the reference's multi-net scripts compute one pair's `ε` from the other pair's errors).
/// A paused teacher takes no optimizer step at all (the reference steps it with a zero loss, which
/// still applies momentum and weight decay). KLs at T = 1, batch mean, target detached, no T² (the
/// reference's `kl_div`).
public struct SwitchableOnlineKD: OnlineObjective {
    public var topology: SwitOKDTopology
    public var labelSmoothing: Float

    public init(topology: SwitOKDTopology = .oneTeacherOneStudent, labelSmoothing: Float = 0) {
        self.topology = topology
        self.labelSmoothing = labelSmoothing
    }

    public var name: String { topology == .oneTeacherOneStudent ? "switokd" : "switokd \(topology.rawValue)" }
    public var networkCount: ClosedRange<Int> { topology.networkCount...topology.networkCount }
    public var modes: [String] { SwitOKDDecision.Mode.allCases.map(\.rawValue) }
    public var diagnosticKeys: [String] { ["G", "delta", "s_label", "t_label"] }

    /// One switch per pair, named `T→S` by the networks' names (unnamed when there is one pair).
    public func switchNames(networks: [String]) -> [String] {
        let pairs = topology.pairs
        return pairs.count == 1 ? [""] : pairs.map { "\(networks[$0.teacher])→\(networks[$0.student])" }
    }

    public func losses(_ step: OnlineStep) throws -> OnlineLosses {
        try checkNetworks(step)
        let pairs = topology.pairs
        let decisions = try pairs.map {
            try Self.decision(teacher: step.logits[$0.teacher], student: step.logits[$0.student], labels: step.labels)
        }
        let losses = try step.logits.indices.map { n -> Tensor? in
            let taught = pairs.indices.filter { pairs[$0].teacher == n }
            let paused = taught.filter { decisions[$0].mode == .expert }.map { pairs[$0].student }
            guard taught.isEmpty || paused.count < taught.count else { return nil }
            return try step.mutualLoss(of: n, peers: step.logits.indices.filter { $0 != n && !paused.contains($0) },
                                       labelSmoothing: labelSmoothing)
        }
        return OnlineLosses(losses: losses, modes: decisions.map(\.mode.rawValue), diagnostics: decisions.map {
            ["G": $0.gap, "delta": $0.threshold, "s_label": $0.studentError, "t_label": $0.teacherError]
        })
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
    /// `--method switokd`: teachers first (`T,S`; `T,S1,S2` or `T1,T2,S` with `--topology`).
    public static let onlineMethod = OnlineMethod(
        name: "switokd", order: 20, summary: "switchable online KD: a teacher pauses while its student's gap is small", networks: 2...3,
        options: [.choice(SwitOKDTopology.key, SwitOKDTopology.allCases.map(\.rawValue),
                          default: SwitOKDTopology.oneTeacherOneStudent.rawValue,
                          help: "--models T,S (1t1s), T,S1,S2 (1t2s) or T1,T2,S (2t1s); a switch per pair")]
    ) { labelSmoothing, options, networks in
        SwitchableOnlineKD(topology: try SwitOKDTopology.resolve(options.givenText[SwitOKDTopology.key], networks: networks),
                           labelSmoothing: labelSmoothing)
    }
}
