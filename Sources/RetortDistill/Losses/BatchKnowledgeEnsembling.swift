import Retort

/// BAKE, batch knowledge ensembling (Ge et al., 2021), a self-distillation term: each sample's soft
/// target is an affinity-weighted ensemble of the whole batch's own predictions.
///
/// With the student's pooled features `x` and logits `z` (both detached for the targets):
/// ```
/// f = x / ‖x‖                                  (rows L2-normalised, F.normalize)      f: [B, d]
/// A = row_softmax(f fᵀ − 1e9·I)                 (self excluded, no affinity temperature) A: [B, B]
/// P = softmax(z / T)                                                                  P: [B, C]
/// Q = (1 − ω) · (I − ω A)⁻¹ · P                 (closed-form propagation)              Q: [B, C]
/// L = T² · (1/B) · Σ_i KL(Q_i ‖ softmax(z_i / T))                  (KLDivLoss(sum) · T² / B)
/// ```
/// The gradient reaches the live logits only (through `softmax(z/T)`); the caller adds
/// cross-entropy (reference weight λ = 1 on this term). Source: BAKE `small_scale/train.py`
/// (`knowledge_ensemble`, `KDLoss`); defaults ω = 0.5, T = 4 (CIFAR-100).
///
/// On the device, `(I − ωA)⁻¹ P` is the Neumann series `Σ_k (ωA)^k P` (A is row-stochastic, so it
/// converges for ω < 1): `Q ← P + ωA·Q`, repeated ``iterations`` times, the first n with
/// `ωⁿ < 1e-7`. The tail left out then holds less than `1e-7` of each row's mass after the
/// `(1 − ω)` factor, below fp32 resolution: the result equals the inverse to float precision
/// (24 matrix products for ω = 0.5, 153 for ω = 0.9). The normalisation divides by
/// `√(‖x‖² + 1e-24)` (`max(‖x‖, 1e-12)` of `F.normalize`, to fp32 precision; a zero row stays 0). The
/// KL is taken with the fused kernel against the "teacher logits" `T·log(Q + 1e-30)`, whose
/// softmax at temperature T is Q (the 1e-30 keeps `0 · log 0` at 0, as PyTorch's `xlogy` does).
public struct BatchKnowledgeEnsembling: DistillationLoss {
    /// Couples the batch: refused under several data-parallel ranks.
    public var batchCoupledTerm: String? { name }
    /// ω, how far knowledge propagates through the batch affinities, in `0 ..< 1`.
    public var propagation: Float
    /// T, the softmax temperature of both the ensembled targets and the student.
    public var temperature: Float

    public init(propagation: Float = 0.5, temperature: Float = 4) {
        self.propagation = propagation
        self.temperature = temperature
    }

    public var name: String { "bake" }
    public var teacherCount: ClosedRange<Int> { 0...0 }

    /// Terms of the Neumann series summed: the smallest n with `ωⁿ < 1e-7`.
    public var iterations: Int {
        var n = 0
        var power = 1.0
        while power >= 1e-7 {
            power *= Double(propagation)
            n += 1
        }
        return n
    }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let logits = step.student.logits                                        // z: [B, C]
        let targets = try ensembledTargets(features: step.student.pooled, logits: logits)  // Q: [B, C]
        let context = step.context
        let teacherLogits = try context.noGrad {
            try (targets + Tensor.full(1e-30, shape: [1], context: context)).log().scaled(by: temperature)
        }
        let batch = Float(logits.shape[0])
        return try logits.klDivergence(teacher: teacherLogits, temperature: temperature, scale: temperature * temperature / batch)
    }

    /// The ensembled soft targets `Q = (1 − ω)(I − ωA)⁻¹ softmax(z/T)`, `[B, C]`, a constant.
    public func ensembledTargets(features: Tensor, logits: Tensor) throws -> Tensor {
        guard (0..<1).contains(propagation) else {
            throw DistillationError.invalidConfiguration("bake: the propagation factor ω must be in [0, 1), got \(propagation).")
        }
        guard temperature > 0, temperature.isFinite else {
            throw DistillationError.invalidConfiguration("bake: the temperature must be positive, got \(temperature).")
        }
        guard logits.shape.count == 2, features.shape.count >= 2, features.shape[0] == logits.shape[0] else {
            throw DistillationError.invalidConfiguration(
                "bake: needs [B, C] logits and [B, d] pooled features of the same batch, got \(logits.shape) and \(features.shape).")
        }
        let context = logits.context
        return try context.noGrad {
            let affinity = try self.affinity(features: features)                                 // A: [B, B]
            let p = try logits.detached().softmax(temperature: temperature)                      // P: [B, C]
            let step = try affinity.scaled(by: propagation)                                      // ωA: [B, B]
            var q = p
            for _ in 0..<iterations { q = try step.matmul(q) + p }                               // Q ← P + ωA·Q
            return try q.scaled(by: 1 - propagation)
        }
    }

    /// The batch affinities `A = row_softmax(f fᵀ − 1e9·I)` of L2-normalised features, `[B, B]`, a
    /// constant: each row is a distribution over the other samples (0 on the diagonal).
    public func affinity(features: Tensor) throws -> Tensor {
        guard features.shape.count >= 2 else {
            throw DistillationError.invalidConfiguration("bake: needs [B, d] pooled features, got \(features.shape).")
        }
        let context = features.context
        let batch = features.shape[0]
        return try context.noGrad {
            let x = try features.shape.count == 2 ? features.detached() : features.detached().flattened(from: 1)   // [B, d]
            let norms = try (x.squared().sum(alongAxis: 1) + Tensor.full(1e-24, shape: [1], context: context)).squareRoot()  // [B]
            let f = try x.multiplying(norms.reciprocal(), per: .rows)                             // [B, d]
            var diagonal = [Float](repeating: 0, count: batch * batch)
            for i in 0..<batch { diagonal[i * batch + i] = -1e9 }
            let selfMask = try Tensor(diagonal, shape: [batch, batch], context: context)
            return try (f.matmul(f.transposed()) + selfMask).softmax()
        }
    }
}

extension BatchKnowledgeEnsembling: RegisteredMethod {
    /// `--method bake`: ω 0.5, T 4.
    public static let distillationMethod = DistillationMethod(
        name: "bake", kind: .selfDistillation, order: 10, summary: "batch knowledge ensembling (self)",
        options: [.number("bake-omega", default: 0.5, help: "weight of the propagated knowledge")]
    ) { _, options in
        BatchKnowledgeEnsembling(propagation: options.float("bake-omega"), temperature: options.temperature)
    }
}

extension DistillationMethod {
    /// Batch knowledge ensembling (``BatchKnowledgeEnsembling``).
    public static let bake = BatchKnowledgeEnsembling.distillationMethod
}
