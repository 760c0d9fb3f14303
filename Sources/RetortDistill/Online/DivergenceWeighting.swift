import Retort

/// BD-KD's per-sample balance between the forward and the reverse KL of the student's loss:
/// `w_i = f(H(p_t,i), H(p_s,i))` in `[0, 1]`, the weight of `KL(p_t ‖ p_s)_i` (the reverse KL gets
/// `1 − w_i`). The paper's own formula is not published in a readily available form (kd-methods
/// §4.5); this protocol is where it drops in.
public protocol DivergenceWeighting {
    /// A short name for run summaries.
    var name: String { get }
    /// The weights `[B]` from the teacher's and the student's per-sample entropies (`[B]`
    /// constants, in nats), composed of tensor ops.
    func weights(teacherEntropy: Tensor, studentEntropy: Tensor) throws -> Tensor
}

/// The default weighting: the teacher's share of the two entropies,
///
///     w_i = (H_t,i + ε) / (H_t,i + H_s,i + 2ε),   ε = 1e-6,
///
/// 0.5 when the entropies are equal (and when both are 0).
///
/// Why this direction: the forward KL `KL(p_t ‖ p_s)` is mass-covering (it raises the student's
/// entropy wherever the teacher spreads probability), the reverse KL `KL(p_s ‖ p_t)` is
/// mode-seeking (it lets the student concentrate on the teacher's mode). Weighting by the teacher's
/// share therefore pulls each sample's student entropy toward the teacher's: a student more
/// confident than the teacher (`H_s < H_t`, the over-confidence behind a poor ECE) gets mostly the
/// forward KL, which spreads it out; a student less certain than a confident teacher (`H_s > H_t`)
/// gets mostly the reverse KL, which sharpens it onto the teacher's prediction without forcing it to
/// copy the teacher's small tail probabilities. That is the "entropy gap" guidance the paper's
/// summaries describe, aimed at calibration. A ratio (rather than a sigmoid of the gap) needs no
/// scale hyper-parameter and is bounded in (0, 1) for any entropies.
public struct EntropyShareWeighting: DivergenceWeighting {
    public var epsilon: Float

    public init(epsilon: Float = 1e-6) {
        self.epsilon = epsilon
    }

    public var name: String { "entropy-share" }

    public func weights(teacherEntropy: Tensor, studentEntropy: Tensor) throws -> Tensor {
        // H_t, H_s: [B] → w: [B]
        let context = teacherEntropy.context
        let numerator = try teacherEntropy + Tensor.full(epsilon, shape: [1], context: context)
        let denominator = try teacherEntropy + studentEntropy + Tensor.full(2 * epsilon, shape: [1], context: context)
        return try numerator / denominator
    }
}
