import Retort

/// Deep Mutual Learning (Zhang et al., CVPR 2018; kd-methods §4.3): K networks learn from the
/// labels and from each other,
///
///     L_k = CE(z_k, y) + Σ_{l≠k} KL(softmax(z_l) ‖ softmax(z_k)),
///
/// at T = 1, each KL averaged over the batch (Σ over classes, mean over samples) and **summed** over
/// the K − 1 peers, as the official `train_models.py` (`kl_loss_compute`). The peers' outputs are
/// constants of `L_k` (the reference restricts each update to network k's variables), so the
/// gradient of `L_k` reaches network k only; every network steps on every batch. The reference's
/// 1e-8 epsilons inside the logarithms are left out: the fused KL works on max-subtracted logits and
/// is finite without them.
public struct DeepMutualLearning: OnlineObjective {
    /// PyTorch's `label_smoothing` of each network's cross-entropy (the reference's flag; 0 by default).
    public var labelSmoothing: Float

    public init(labelSmoothing: Float = 0) {
        self.labelSmoothing = labelSmoothing
    }

    public var name: String { "dml" }
    public var networkCount: ClosedRange<Int> { 2...Int.max }

    public func losses(_ step: OnlineStep) throws -> OnlineLosses {
        try checkNetworks(step)
        return OnlineLosses(losses: try step.logits.indices.map { try loss(of: $0, step) })
    }

    /// `L_k` for network `k`.
    public func loss(of k: Int, _ step: OnlineStep) throws -> Tensor {
        try step.mutualLoss(of: k, peers: step.logits.indices.filter { $0 != k }, labelSmoothing: labelSmoothing)
    }
}

extension DeepMutualLearning: RegisteredOnlineMethod {
    /// `--method dml`: two or more networks, each with CE + the mean KL to the others.
    public static let onlineMethod = OnlineMethod(
        name: "dml", order: 10, summary: "deep mutual learning: every network learns from the others", networks: 2...Int.max
    ) { labelSmoothing, _, _ in
        DeepMutualLearning(labelSmoothing: labelSmoothing)
    }
}
