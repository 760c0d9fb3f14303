import Retort
import RetortNN

/// SOKD's auxiliary network A: a frozen teacher's trunk (up to its branch point) feeding a trainable
/// branch, a fresh copy of the teacher's last stage, pooling and classifier (kd-methods §4.6).
///
/// The trunk's parameters are frozen (`requiresGrad` off) and its features reach the branch
/// detached (computed without a tape); only ``branch`` trains. The teacher is a child (`teacher.…`
/// in the state dict beside `branch.…`), so a checkpoint of A holds everything needed to run it,
/// and ``Module/train(_:)``/``Module/eval()`` reach the trunk.
///
/// Batch norm in the frozen trunk: as the reference (which calls `teacher.train()` every epoch),
/// the trunk runs in training mode while A trains, so it normalises with batch statistics and keeps
/// updating its running statistics; its weights never change. In evaluation mode it uses the
/// running statistics.
public final class AuxiliaryBranchNetwork: Classifier {
    public let teacher: any AuxiliaryBranching
    public let branch: AuxiliaryBranch
    public var isTraining = true

    /// Freezes `teacher` and grows a branch initialised from `seed`.
    public init(teacher: any AuxiliaryBranching, seed: UInt64) throws {
        try teacher.freeze()
        self.teacher = teacher
        branch = try teacher.makeAuxiliaryBranch(seed: seed)
    }

    public var entries: [ModuleEntry] { [.child("teacher", teacher), .child("branch", branch)] }

    /// The trainable parameters (the branch's).
    public var trainableParameters: [Tensor] { branch.parameters() }

    /// The trunk's features (a constant) and A's logits from them.
    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let trunk = try input.context.noGrad { try teacher.trunk(input) }
        let logits = try branch(trunk)
        return FeatureTaps(stages: [trunk], pooled: logits, logits: logits)
    }

    /// The identity: A reports its logits as its pooled features.
    public func logits(fromPooled pooled: Tensor) throws -> Tensor { pooled }

    /// The branch on the trunk's features (the only stage tap).
    public func logits(fromLastStage stage: Tensor) throws -> Tensor { try branch(stage) }
}
