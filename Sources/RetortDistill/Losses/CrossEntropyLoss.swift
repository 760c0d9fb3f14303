import Retort

/// Cross-entropy with the labels, PyTorch's `F.cross_entropy(z, y, label_smoothing=ε)`:
/// `(1/B) Σ_i −Σ_c ỹ[i,c] log softmax(z_i)_c` with `ỹ = (1−ε)·onehot + ε/C`. When the step carries
/// soft targets (MixUp) they replace the one-hot labels.
public struct CrossEntropyLoss: DistillationLoss {
    public var labelSmoothing: Float

    public init(labelSmoothing: Float = 0) {
        self.labelSmoothing = labelSmoothing
    }

    public var name: String { labelSmoothing == 0 ? "ce" : "ce(ls \(labelSmoothing))" }
    public var teacherCount: ClosedRange<Int> { 0...Int.max }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let logits = step.student.logits
        guard let targets = step.targets else { return try logits.crossEntropy(labels: step.labels, labelSmoothing: labelSmoothing) }
        // Soft targets: −(1/B) Σ ỹ ⊙ log softmax(z), smoothed the same way.
        let smoothed = labelSmoothing == 0 ? targets
            : try step.context.noGrad { try targets.scaled(by: 1 - labelSmoothing) + Tensor.full(labelSmoothing / Float(step.classes), shape: [1], context: step.context) }
        return try (logits.logSoftmax() * smoothed).sum().scaled(by: -1 / Float(step.batchSize))
    }
}

extension CrossEntropyLoss: RegisteredMethod {
    /// `ce`: cross-entropy with the labels alone.
    public static let distillationMethod = DistillationMethod(
        name: "ce", kind: .plain, order: 0, summary: "cross-entropy with the labels", lossWeight: 0
    ) { setup, options in
        (WeightedLoss([(options.crossEntropyWeight, setup.crossEntropy)]), nil)
    }
}

extension DistillationMethod {
    /// Cross-entropy alone (``CrossEntropyLoss``).
    public static let crossEntropy = CrossEntropyLoss.distillationMethod
}
