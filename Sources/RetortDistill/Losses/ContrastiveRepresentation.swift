import Retort
import RetortNN

/// Contrastive representation distillation, CRD (Tian, Krishnan & Isola, ICLR 2020), as in
/// RepDistiller `crd/criterion.py`, `crd/memory.py` and `dataset/cifar100.py` (mode `'exact'`;
/// mdistiller's `CRD` is the same).
///
/// Both penultimate features (``FeatureTaps/pooled``, RepDistiller's `feat[-1]`) are embedded and
/// L2-normalized by trainable heads, `v_s = normalize(W_s f_s + b_s)`, `v_t = normalize(W_t f_t + b_t)`
/// (`Linear(dim → 128)` + `Normalize`), and compared with two memory banks of `N × 128` rows, one per
/// training sample: `M_s` holds past `v_s`, `M_t` past `v_t`. For the sample at dataset index `i`,
/// row `idx[i] = [i, n_1, …, n_K]` holds itself and `K` negatives of other classes
/// (``ContrastSampler``), and
///
/// - `out_s[i, j] = exp(M_t[idx[i, j]] · v_s[i] / τ) / Z_s` (student anchor against the teacher memory),
/// - `out_t[i, j] = exp(M_s[idx[i, j]] · v_t[i] / τ) / Z_t` (teacher anchor against the student memory),
///
/// where `Z = mean(exp(scores / τ)) · N` is fixed at the first step and the memory rows are constants.
/// With `Pn = 1/N`, `m = K`, `c = m·Pn + 1e-7`, the NCE loss of each is
/// `L(x) = −(1/B) Σ_i [log(x_i0 / (x_i0 + c)) + Σ_{j≥1} log(m·Pn / (x_ij + c))]`, and
/// `L_CRD = L(out_s) + L(out_t)`. After the optimizer step, ``update(after:)`` moves the batch's rows:
/// `M[i] ← normalize(m_M · M[i] + (1 − m_M) · v[i])` with the embeddings of that step (momentum 0.5).
///
/// Reference weights: `L = CE + 0.8 · L_CRD` (``defaultWeight``), or `CE + KD + 0.8 · L_CRD` for CRD+KD.
/// The heads' parameters (``parameters()``: the student's weight and bias, then the teacher's) must join
/// the optimizer; the heads, both memories, `Z` (and whether it is fixed yet) and the sampler's position
/// are its ``state``, saved with the student's checkpoint so a resumed run draws the same negatives
/// against the same memories. Scores, their backward, the NCE loss and the memory update are device
/// kernels that read bank rows in place; only the contrast indices are drawn on the host.
///
/// Deviations: `K` is clamped to `N −` the largest class size (RepDistiller draws with replacement
/// instead when a class has too few negatives; identical for CIFAR-100 and ImageNet), and the
/// normalizations divide by `max(‖·‖, 1e-12)` where RepDistiller divides by `‖·‖` (the same for any
/// non-zero vector).
public final class ContrastiveRepresentation: DistillationLoss {
    /// Couples the batch: refused under several data-parallel ranks.
    public var batchCoupledTerm: String? { name }
    /// RepDistiller's `feat_dim`: the embedding size.
    public static let defaultDimension = 128
    /// RepDistiller's `nce_k`: negatives per sample.
    public static let defaultNegatives = 16_384
    /// RepDistiller's `nce_t`.
    public static let defaultTemperature: Float = 0.07
    /// RepDistiller's `nce_m`: the memory momentum.
    public static let defaultMomentum: Float = 0.5
    /// RepDistiller's `-b 0.8`: the weight of this term next to cross-entropy.
    public static let defaultWeight: Float = 0.8
    /// The `eps` of RepDistiller's `NCECriterion`.
    public static let epsilon: Float = 1e-7

    public let dimension: Int
    public let temperature: Float
    public let momentum: Float
    /// `N`, the number of training samples (rows of each memory bank).
    public let datasetSize: Int
    /// The student's embedding head `Linear(studentDimension → dimension)`.
    public let studentEmbedding: Linear
    /// The teacher's embedding head `Linear(teacherDimension → dimension)` (trained with the student).
    public let teacherEmbedding: Linear
    /// `M_s: [N, dimension]`, the memory of student embeddings.
    public let studentMemory: Tensor
    /// `M_t: [N, dimension]`, the memory of teacher embeddings.
    public let teacherMemory: Tensor

    private var sampler: ContrastSampler
    /// `Z_s` and `Z_t`, `[1]` each; meaningful once ``normalizersFixed`` is 1.
    private let normalizers: (student: Tensor, teacher: Tensor)
    /// 1 once the first step has fixed `Z`, else 0.
    private let normalizersFixed = IntegerBuffer(0)
    /// The sampler's position (``ContrastSampler/position``, its bits), kept here between draws.
    private let samplerPosition: IntegerBuffer
    /// The embeddings of the last ``loss(_:)``, which ``update(after:)`` writes into the memories.
    private var pending: (indices: [Int], student: Tensor, teacher: Tensor)?

    /// - Parameters:
    ///   - studentDimension, teacherDimension: sizes of the pooled features.
    ///   - labels: all `N` training labels, by dataset index: a sample's class is read here at its
    ///     ``DistillationStep/indices`` entry, and its negatives are drawn from the other classes.
    ///   - negatives: `K`, clamped to `N −` the largest class size.
    ///   - seed: seeds the heads, the memories (`U(−s, s)`, `s = 1/√(dimension/3)`) and the sampler.
    public init(studentDimension: Int, teacherDimension: Int, labels: [Int], dimension: Int = defaultDimension,
                negatives: Int = defaultNegatives, temperature: Float = defaultTemperature, momentum: Float = defaultMomentum,
                seed: UInt64 = 0, context: Context) throws {
        guard studentDimension > 0, teacherDimension > 0, dimension > 0 else {
            throw DistillationError.invalidConfiguration("crd: feature and embedding sizes must be positive.")
        }
        guard temperature > 0, temperature.isFinite, (0...1).contains(momentum) else {
            throw DistillationError.invalidConfiguration("crd: the temperature must be positive and the momentum in 0...1.")
        }
        var generator = SplitMix64(seed: seed)
        studentEmbedding = try Linear(studentDimension, dimension, context: context, generator: &generator)
        teacherEmbedding = try Linear(teacherDimension, dimension, context: context, generator: &generator)
        let bound = 1 / (Float(dimension) / 3).squareRoot()
        studentMemory = try Tensor(generator.floats(labels.count * dimension, in: -bound...bound), shape: [labels.count, dimension],
                                   context: context)
        teacherMemory = try Tensor(generator.floats(labels.count * dimension, in: -bound...bound), shape: [labels.count, dimension],
                                   context: context)
        sampler = try ContrastSampler(labels: labels, negatives: negatives, seed: generator.next())
        samplerPosition = IntegerBuffer(Int64(bitPattern: sampler.position))
        normalizers = (try Tensor.zeros(shape: [1], context: context), try Tensor.zeros(shape: [1], context: context))
        self.dimension = dimension
        self.temperature = temperature
        self.momentum = momentum
        datasetSize = labels.count
    }

    public var name: String { "crd" }

    /// `K` after clamping to what the labels allow.
    public var negatives: Int { sampler.negatives }

    /// `student_head`, `teacher_head` (the embeddings), `student_memory`, `teacher_memory`,
    /// `student_normalizer`, `teacher_normalizer`, `normalizers_fixed` (0 before the first step) and
    /// `sampler_position`.
    public var state: (any Module)? {
        LossState(name, [.child("student_head", studentEmbedding), .child("teacher_head", teacherEmbedding),
                         .buffer("student_memory", studentMemory), .buffer("teacher_memory", teacherMemory),
                         .buffer("student_normalizer", normalizers.student), .buffer("teacher_normalizer", normalizers.teacher),
                         .integerBuffer("normalizers_fixed", normalizersFixed), .integerBuffer("sampler_position", samplerPosition)])
    }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        sampler.position = UInt64(bitPattern: samplerPosition.value)
        let contrast = try sampler.draw(for: step.indices)
        samplerPosition.value = Int64(bitPattern: sampler.position)
        return try loss(step, contrast: contrast)
    }

    /// The loss with given contrast indices, row-major `[B, J]`: each row the sample's own dataset
    /// index then `J − 1` negatives (what ``ContrastSampler/draw(for:)`` gives).
    public func loss(_ step: DistillationStep, contrast: [Int]) throws -> Tensor {
        let teacher = try step.teacher(for: name)
        let batch = step.batchSize
        guard step.indices.count == batch, batch > 0, contrast.count % batch == 0, contrast.count / batch >= 2 else {
            throw DistillationError.invalidConfiguration("crd: \(batch) samples need \(batch) dataset indices and a positive and negatives for each.")
        }
        let context = step.context
        let indices = try RowIndices(contrast, rows: batch, columns: contrast.count / batch, context: context)
        guard indices.upperBound <= datasetSize else {
            throw DistillationError.invalidConfiguration("crd: contrast index \(indices.upperBound - 1) is outside the \(datasetSize) training samples.")
        }
        let studentFeature = try flat(step.student.pooled, into: studentEmbedding, role: "student")
        let teacherFeature = try flat(teacher.pooled.detached(), into: teacherEmbedding, role: "teacher")
        let studentAnchor = try studentEmbedding(studentFeature).normalizedRows()  // v_s: [B, dim]
        let teacherAnchor = try teacherEmbedding(teacherFeature).normalizedRows()  // v_t: [B, dim]
        let studentScores = try studentAnchor.dotProducts(withRowsOf: teacherMemory, at: indices)  // M_t · v_s: [B, J]
        let teacherScores = try teacherAnchor.dotProducts(withRowsOf: studentMemory, at: indices)  // M_s · v_t: [B, J]
        if normalizersFixed.value == 0 {
            // Fixed at the first step, as buffers (one read of the device, once per run).
            try context.noGrad {
                try normalizers.student.assign([try normalizer(studentScores).item()])
                try normalizers.teacher.assign([try normalizer(teacherScores).item()])
            }
            normalizersFixed.value = 1
        }
        pending = (step.indices, studentAnchor.detached(), teacherAnchor.detached())
        return try studentScores.nceLoss(normalizer: normalizers.student, temperature: temperature, datasetSize: datasetSize,
                                         epsilon: Self.epsilon)
            + teacherScores.nceLoss(normalizer: normalizers.teacher, temperature: temperature, datasetSize: datasetSize,
                                    epsilon: Self.epsilon)
    }

    /// Writes the last step's embeddings into the memories (RepDistiller does this at the end of the
    /// forward; nothing reads the memories in between).
    public func update(after step: DistillationStep) throws {
        guard let pending else { return }
        guard pending.indices == step.indices else {
            throw DistillationError.invalidConfiguration("crd: update(after:) got another batch than the last loss.")
        }
        try studentMemory.updateRows(at: pending.indices, toward: pending.student, momentum: momentum)
        try teacherMemory.updateRows(at: pending.indices, toward: pending.teacher, momentum: momentum)
        self.pending = nil
    }

    /// `(Z_s, Z_t)` once the first step has fixed them, else nil. Reads the device.
    public func normalizerValues() throws -> (student: Float, teacher: Float)? {
        guard normalizersFixed.value != 0 else { return nil }
        return (try normalizers.student.item(), try normalizers.teacher.item())
    }

    /// `Z = mean(exp(scores / τ)) · N`, a `[1]` constant.
    private func normalizer(_ scores: Tensor) throws -> Tensor {
        try scores.scaled(by: 1 / temperature).exp().mean().scaled(by: Float(datasetSize))
    }

    private func flat(_ feature: Tensor, into head: Linear, role: String) throws -> Tensor {
        let flat = feature.shape.count == 2 ? feature : try feature.flattened(from: 1)
        guard flat.shape[1] == head.weight.shape[1] else {
            throw DistillationError.invalidConfiguration("crd: the \(role) features have \(flat.shape[1]) values per sample; the head was built for \(head.weight.shape[1]).")
        }
        return flat
    }
}

extension ContrastiveRepresentation: RegisteredMethod {
    /// `--loss crd`: RepDistiller's `-b 0.8`, NCE temperature 0.07, 16384 negatives, momentum 0.5.
    public static let distillationMethod = DistillationMethod(
        name: "crd", kind: .offline, order: 60, summary: "contrastive representation distillation, memory banks + NCE",
        lossWeight: 0.8, temperature: 0.07,
        options: [.number("crd-dim", default: 128, help: "width of the embedding"),
                  .number("crd-negatives", default: 16384, help: "negatives per sample"),
                  .number("crd-momentum", default: 0.5, help: "momentum of the memory banks")]
    ) { setup, options in
        guard !setup.trainingLabels.isEmpty, setup.studentFeatures > 0, let teacherWidth = setup.teacherFeatures.first else {
            throw DistillationError.invalidConfiguration("crd needs the training labels and the student's and teacher's feature widths")
        }
        return try ContrastiveRepresentation(studentDimension: setup.studentFeatures, teacherDimension: teacherWidth,
                                             labels: setup.trainingLabels,
                                             dimension: options.integer("crd-dim"), negatives: options.integer("crd-negatives"),
                                             temperature: options.temperature, momentum: options.float("crd-momentum"), seed: setup.seed,
                                             context: setup.context)
    }
}

extension DistillationMethod {
    /// Contrastive representation distillation (``ContrastiveRepresentation``).
    public static let crd = ContrastiveRepresentation.distillationMethod
}
