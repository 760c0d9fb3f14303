import Retort

/// Hinton's KD term: `τ · reduce_i Σ_c p_t[i,c] (log p_t[i,c] − log p_s[i,c])` with `p = softmax(z/T)`,
/// `τ = T²` (or 1 with `scalesByTemperatureSquared: false`) and the reduction of the codebase being
/// reproduced: RepDistiller, mdistiller and torchdistill use `batchmean` (÷B); TAKD's `nn.KLDivLoss()`
/// uses element `mean` (÷B·C); `sum` divides by nothing. With several teachers the term is the mean
/// over teachers. One fused kernel computes the value and the student's gradient.
public struct KnowledgeDistillation: DistillationLoss {
    public enum Reduction: String, Sendable, CaseIterable {
        case batchmean, mean, sum
    }

    public var temperature: Float
    public var reduction: Reduction
    public var scalesByTemperatureSquared: Bool

    public init(temperature: Float = 4, reduction: Reduction = .batchmean, scalesByTemperatureSquared: Bool = true) {
        self.temperature = temperature
        self.reduction = reduction
        self.scalesByTemperatureSquared = scalesByTemperatureSquared
    }

    public var name: String { "kd" }
    public var teacherCount: ClosedRange<Int> { 1...Int.max }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        guard !step.teachers.isEmpty else { throw DistillationError.missingTeacher(loss: name) }
        let divisor: Float
        switch reduction {
        case .batchmean: divisor = Float(step.batchSize)
        case .mean: divisor = Float(step.batchSize * step.classes)
        case .sum: divisor = 1 / step.sumScale
        }
        let scale = (scalesByTemperatureSquared ? temperature * temperature : 1) / divisor / Float(step.teachers.count)
        var total: Tensor?
        for teacher in step.teachers {
            let term = try step.student.logits.klDivergence(teacher: teacher.logits, temperature: temperature, scale: scale)
            total = try total.map { try $0 + term } ?? term
        }
        return total!
    }
}

extension KnowledgeDistillation: RegisteredMethod {
    /// `--loss kd`: Hinton KD (RepDistiller/mdistiller `-r 0.1 -a 0.9`, T 4); several teachers: their mean.
    public static let distillationMethod = DistillationMethod(
        name: "kd", kind: .offline, order: 10, summary: "Hinton KD, T²·KL(p_t ‖ p_s); several teachers: their mean",
        crossEntropyWeight: 0.1, lossWeight: 0.9, temperature: 4,
        options: [.choice("kd-reduction", Reduction.allCases.map(\.rawValue), default: "batchmean",
                          help: "how the KL sums over the batch (TAKD uses mean)"),
                  .boolean("kd-t2", default: true, help: "scale the term by T²")],
        acceptsSeveralTeachers: true
    ) { _, options in
        KnowledgeDistillation(temperature: options.temperature,
                              reduction: Reduction(rawValue: options.choice("kd-reduction")) ?? .batchmean,
                              scalesByTemperatureSquared: options.flag("kd-t2"))
    }
}

extension DistillationMethod {
    /// Hinton KD (``KnowledgeDistillation``).
    public static let kd = KnowledgeDistillation.distillationMethod
}
