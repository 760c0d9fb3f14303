import Retort
import RetortNN

/// What a loss sees in one training step: the student's outputs (recorded on the tape), the frozen
/// teachers' outputs (constants), the labels and where the samples sit in the dataset.
public struct DistillationStep {
    /// The student's logits and feature taps; gradients flow back through them.
    public var student: FeatureTaps
    /// Each teacher's logits and feature taps, computed in evaluation mode without a tape.
    public var teachers: [FeatureTaps]
    /// One class index per sample.
    public var labels: [Int]
    /// Each sample's index in the training set (CRD's memory banks are keyed by it).
    public var indices: [Int]
    /// The epoch being trained, counted from 0 (DKD's warm-up reads it).
    public var epoch: Int
    /// Soft targets `[B, C]` when the inputs were mixed (MixUp); nil for plain hard labels.
    public var targets: Tensor?
    /// Multiplies terms that sum over the batch instead of averaging (`--kd-reduction sum`): a
    /// data-parallel rank's gradients are weighted by its share of the batch, which a sum must undo.
    public var sumScale: Float
    /// The student network, for terms that run part of it again (Zipf's dense votes apply its
    /// classifier at every position of its final feature map); nil when the caller has none.
    public var model: (any Classifier)?

    public init(student: FeatureTaps, teachers: [FeatureTaps] = [], labels: [Int], indices: [Int] = [], epoch: Int = 0,
                targets: Tensor? = nil, sumScale: Float = 1, model: (any Classifier)? = nil) {
        self.student = student
        self.teachers = teachers
        self.labels = labels
        self.indices = indices.isEmpty ? Array(labels.indices) : indices
        self.epoch = epoch
        self.targets = targets
        self.sumScale = sumScale
        self.model = model
    }

    public var context: Context { student.logits.context }
    public var batchSize: Int { labels.count }
    public var classes: Int { student.logits.shape[1] }

    /// The one teacher of a single-teacher loss, or an error naming the loss.
    public func teacher(for loss: String) throws -> FeatureTaps {
        guard let first = teachers.first else { throw DistillationError.missingTeacher(loss: loss) }
        return first
    }
}

/// A training objective term: a scalar tensor from one step's outputs. Terms are value types holding
/// their hyper-parameters; ``WeightedLoss`` sums them with weights.
public protocol DistillationLoss {
    /// A short name for logs and run summaries ("kd", "dkd", …).
    var name: String { get }
    /// How many teachers the term reads (0 for self-distillation and plain cross-entropy).
    var teacherCount: ClosedRange<Int> { get }
    /// The loss of one step, a `[1]` tensor recorded on the tape.
    func loss(_ step: DistillationStep) throws -> Tensor
    /// Parameters the term trains itself (CRD's embedding heads); they join the optimizer. By
    /// default the parameters of its ``state``.
    func parameters() -> [Tensor]
    /// The term's own state as a module: the parameters it trains (CRD's heads, CA-MKD's
    /// embeddings), buffers (memory banks, normalizers) and integer buffers (a sampler's position).
    /// ``Trainer`` saves its state dict beside every `last` checkpoint (`last.objective.safetensors`,
    /// with the optimizer state of its parameters in `last.objective.optimizer.safetensors`) in the
    /// same atomic write, and restores it on resume, so a resumed run continues as the uninterrupted
    /// one; data-parallel, rank 0's goes to every rank at the start. Nil for a stateless term. The
    /// module must hold the same tensors on every call (a term's parameters are also ``parameters()``).
    var state: (any Module)? { get }
    /// Called after the optimizer step, outside the tape (CRD updates its memory banks here).
    func update(after step: DistillationStep) throws
    /// The name of the term when its value couples the samples of a batch (a batch Gram matrix,
    /// correlations over the batch, a memory bank), so data-parallel ranks cannot compute it on their
    /// rows alone; nil for a per-sample loss.
    var batchCoupledTerm: String? { get }
}

extension DistillationLoss {
    public var teacherCount: ClosedRange<Int> { 1...1 }
    public var batchCoupledTerm: String? { nil }
    public func parameters() -> [Tensor] { state?.parameters() ?? [] }
    public var state: (any Module)? { nil }
    public func update(after step: DistillationStep) throws {}
}

/// `Σ_k w_k · term_k`: how methods combine cross-entropy with their distillation terms.
public struct WeightedLoss: DistillationLoss {
    public var terms: [(weight: Float, loss: any DistillationLoss)]

    public init(_ terms: [(weight: Float, loss: any DistillationLoss)]) {
        self.terms = terms
    }

    public var name: String {
        terms.map { $0.weight == 1 ? $0.loss.name : "\($0.weight)·\($0.loss.name)" }.joined(separator: " + ")
    }

    public var teacherCount: ClosedRange<Int> {
        let lower = terms.map(\.loss.teacherCount.lowerBound).max() ?? 0
        let upper = terms.map(\.loss.teacherCount.upperBound).min() ?? Int.max
        return lower...max(lower, upper)
    }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        var total: Tensor?
        for (weight, term) in terms where weight != 0 {
            let value = try term.loss(step)
            let weighted = weight == 1 ? value : try value.scaled(by: weight)
            total = try total.map { try $0 + weighted } ?? weighted
        }
        guard let total else { throw DistillationError.invalidConfiguration("a weighted loss needs at least one term with a non-zero weight") }
        return total
    }

    public func parameters() -> [Tensor] { terms.flatMap { $0.loss.parameters() } }

    /// The state of the one term that has some (under its own names); with several, a module holding
    /// them as children named by the terms' positions (`1`, `2`, …); nil when no term has state.
    public var state: (any Module)? {
        let states = terms.enumerated().compactMap { index, term in term.loss.state.map { ModuleEntry.child("\(index)", $0) } }
        guard states.count > 1 else { return terms.lazy.compactMap(\.loss.state).first }
        return LossState(name, states)
    }

    public func update(after step: DistillationStep) throws {
        for term in terms { try term.loss.update(after: step) }
    }

    public var batchCoupledTerm: String? { terms.lazy.compactMap(\.loss.batchCoupledTerm).first }
}

/// Why a distillation objective cannot run.
public enum DistillationError: Error, Equatable, CustomStringConvertible {
    case missingTeacher(loss: String)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .missingTeacher(let loss): return "The \(loss) loss needs a teacher: give one with --teacher NAME --teacher-weights FILE."
        case .invalidConfiguration(let message): return message
        }
    }
}
