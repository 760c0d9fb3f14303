import Retort
import RetortNN

/// SOKD — Semi-Online KD (arXiv 2111.11747; official code SO `trainer/sokd.py`; kd-methods §4.6).
/// Two trained networks: the first is the auxiliary network A (an ``AuxiliaryBranchNetwork`` on a
/// pretrained, frozen teacher T), the second the student S. Per batch, with the trunk run once:
///
///     z_T = T(x), z_A = A(trunk_T(x).detached), z_S = S(x)
///     L_A = CE(z_A, y) + KL_T(z_A ← z_T) + KL_T(z_A ← z_S)
///     L_S = CE(z_S, y) + KL_T(z_S ← z_A)
///     KL_T(a ← b) = T² · batchmean KL(softmax(b/T) ‖ softmax(a/T)), b detached (SO `SoftTarget`)
///
/// with T = 4 (SO `configs/sokd.yaml`); all weights 1. Both networks step on every batch (the
/// reference's single SGD step over S and A; here each has its own optimizer, the same update).
/// The teacher's logits come from the same pass as A's features (frozen trunk in training mode, as
/// the reference's `teacher.train()`, see ``AuxiliaryBranchNetwork``).
public struct SemiOnlineKD: OnlineObjective {
    public var temperature: Float
    public var labelSmoothing: Float

    public init(temperature: Float = 4, labelSmoothing: Float = 0) {
        self.temperature = temperature
        self.labelSmoothing = labelSmoothing
    }

    public var name: String { "sokd (T \(temperature))" }
    public var networkCount: ClosedRange<Int> { 2...2 }

    /// Runs the teacher's trunk once (no tape): its head gives `z_T`, A's branch reads the same
    /// features; then the student.
    public func forward(_ models: [any Classifier], input: Tensor) throws -> (logits: [Tensor], frozenLogits: [Tensor]) {
        guard models.count == 2, let auxiliary = models[0] as? AuxiliaryBranchNetwork else {
            throw DistillationError.invalidConfiguration("sokd trains an auxiliary network on a frozen teacher, then a student; got \(models.count) networks"
                                                         + (models.first is AuxiliaryBranchNetwork ? "" : " and no auxiliary network first"))
        }
        let (trunk, teacherLogits) = try input.context.noGrad { () throws -> (Tensor, Tensor) in
            let trunk = try auxiliary.teacher.trunk(input)
            return (trunk, try auxiliary.teacher.logits(fromTrunk: trunk))
        }
        return ([try auxiliary.branch(trunk), try models[1](input)], [teacherLogits])
    }

    public func losses(_ step: OnlineStep) throws -> OnlineLosses {
        try checkNetworks(step)
        guard let teacher = step.frozenLogits.first else { throw DistillationError.missingTeacher(loss: "sokd") }
        let (auxiliary, student) = (step.logits[0], step.logits[1])
        let auxiliaryLoss = try auxiliary.crossEntropy(labels: step.labels, labelSmoothing: labelSmoothing)
            + softTarget(auxiliary, from: teacher, step.batchSize) + softTarget(auxiliary, from: student, step.batchSize)
        let studentLoss = try student.crossEntropy(labels: step.labels, labelSmoothing: labelSmoothing)
            + softTarget(student, from: auxiliary, step.batchSize)
        return OnlineLosses(losses: [auxiliaryLoss, studentLoss])
    }

    /// `KL_T(a ← b)`: T² · (1/B) Σ_i KL(softmax(b/T) ‖ softmax(a/T)), `b` detached.
    func softTarget(_ a: Tensor, from b: Tensor, _ batchSize: Int) throws -> Tensor {
        try a.klDivergence(teacher: b.detached(), temperature: temperature, scale: temperature * temperature / Float(batchSize))
    }
}

extension SemiOnlineKD: RegisteredOnlineMethod {
    /// `--method sokd`: a pretrained, frozen teacher with a trained auxiliary branch, and a student; T 4.
    public static let onlineMethod = OnlineMethod(
        name: "sokd", order: 40, summary: "semi-online KD: a frozen teacher's trained auxiliary branch teaches the student",
        networks: 2...2, teachesFromFrozenTeacher: true,
        options: [.number("temperature", default: 4, help: "the softmax temperature (must be positive)")]
    ) { labelSmoothing, options, _ in
        SemiOnlineKD(temperature: options.float("temperature"), labelSmoothing: labelSmoothing)
    }
}
