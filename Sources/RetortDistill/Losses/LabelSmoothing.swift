/// Label smoothing as a self-distillation method (`retort selfdistill --method ls`): cross-entropy
/// against labels smoothed by `label-smoothing` (0.1 unless the run sets it), no term of its own.
public enum LabelSmoothing: RegisteredMethod {
    public static let distillationMethod = DistillationMethod(
        name: "ls", kind: .selfDistillation, order: 40, summary: "label smoothing", lossWeight: 0,
        options: [.number("label-smoothing", default: 0.1, in: 0...1, help: "the smoothing ε")]
    ) { setup, options in
        let epsilon = setup.labelSmoothing > 0 ? setup.labelSmoothing : options.number("label-smoothing")
        return (WeightedLoss([(options.crossEntropyWeight, CrossEntropyLoss(labelSmoothing: Float(epsilon)))]), nil)
    }
}

extension DistillationMethod {
    /// Label smoothing (``LabelSmoothing``).
    public static let labelSmoothing = LabelSmoothing.distillationMethod
}
