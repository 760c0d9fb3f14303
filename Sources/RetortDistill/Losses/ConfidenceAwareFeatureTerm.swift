import Retort
import RetortNN

/// CA-MKD's intermediate-feature term `L_inter` (Zhang, Chen & Wang, ICASSP 2022; the reference's
/// `--distill inter`: `helper/loops.py`, `distiller_zoo/CAMKD.py`, `models/util.py` `CalWeight`/`Embed`).
///
/// The student's last stage map `f_s` (``FeatureTaps/stages```.last`, the reference's `feat_s[-2]`) is
/// resized to each teacher's map size (``FeatureMapResize``: adaptive average pooling when it is at
/// least as tall, bilinear when shorter) and mapped by a learned ``FeatureEmbedding`` `E_k` (conv1×1 –
/// BN – ReLU) to teacher `k`'s channels. The teacher's head (``Classifier/logits(fromLastStage:)``,
/// the reference's `distill_seq()[-1]`) classifies the embedded map, `o_k = head_k(E_k(f_s))`, and
/// with `ℓ_k[i] = CE(o_k[i], y[i])`
///
/// `w'_k[i] = (1 − softmax_k(ℓ[:, i])_k) / (K − 1)`,
/// `L_inter = Σ_k Σ_i w'_k[i] · mean_{c,h,w} (E_k(f_s)[i] − f_tk[i])² / (B · K)`,
///
/// where `f_tk` is teacher `k`'s last stage map (a constant). As in the reference, the weights are not
/// detached: the gradient reaches the embeddings through the MSE and through the frozen teacher's
/// head in `w'`, and the student's map through both. The reference objective is
/// `L = CE + 1 · L_div + 50 · L_inter` (``ConfidenceAwareMultiTeacher``, ``defaultWeight``).
///
/// The embeddings are this term's ``parameters()`` (they join the optimizer) and its ``state``, named
/// as the reference's `CalWeight` (`embed0.transfer.0.weight`, `embed0.transfer.1.running_var`, …).
/// Their batch norms use the batch's statistics, so the term couples the samples of a batch
/// (``batchCoupledTerm``; `--camkd-inter-weight 0` leaves a per-sample objective).
///
/// Where this differs from the reference, and why:
/// - One teacher: `w' = 1`. The reference divides `0` by `K − 1 = 0` (NaN); one teacher is meant to
///   count fully, as ``ConfidenceAwareMultiTeacher`` does.
/// - Each teacher's resize starts from the student's own map. The reference reassigns `feat_s` inside
///   its loop, so teacher `k` resizes the map already resized for teacher `k − 1`; the two agree when
///   the teachers' maps have one size (the reference's setting: three resnet32x4).
/// - Maps resize to `(H_t, W_t)`; the reference resizes to `(H_t, H_t)` (the same for square maps).
/// - Before ``firstEpoch`` the term is zero and runs nothing. The reference leaves `L_inter` out of its
///   first epoch (`if epoch == 1`) but still runs the embeddings then, moving their batch-norm running
///   statistics, which nothing reads.
/// - Which map a WRN taps: ours is block3's output, as RepDistiller's `f3` (the zoo's tap for every
///   feature method), and its head starts with `bn1` + ReLU; CA-MKD's own `wrn.py` taps after `bn1` +
///   ReLU, so a WRN teacher's target map differs from the reference's by that batch norm and ReLU.
/// - Batches smaller than the batch size are trained (the reference's loop skips them; that is the
///   trainer's choice for every method, not this term's).
public final class ConfidenceAwareFeatureTerm: DistillationLoss {
    /// The reference's `-b 50`: this term's weight next to cross-entropy.
    public static let defaultWeight: Float = 50
    /// The reference counts the term from its second epoch (1, counted from 0).
    public static let defaultFirstEpoch = 1

    /// One embedding per teacher (``FeatureEmbeddings/embeddings``).
    public let embeddings: FeatureEmbeddings
    /// The teachers whose heads classify the embedded maps (frozen, in evaluation mode).
    public let teachers: [any Classifier]
    /// The first epoch (counted from 0) in which the term counts; zero before.
    public let firstEpoch: Int
    /// `[C, H, W]` of the student's last stage map.
    public let studentShape: [Int]
    /// `[C, H, W]` of each teacher's last stage map.
    public let teacherShapes: [[Int]]
    private let resizes: [FeatureMapResize]

    /// - Parameters:
    ///   - teachers: the teacher networks, in the order of ``DistillationStep/teachers``.
    ///   - studentShape, teacherShapes: `[C, H, W]` of the last stage maps.
    ///   - seed: seeds the embeddings' initialization.
    public init(teachers: [any Classifier], studentShape: [Int], teacherShapes: [[Int]], firstEpoch: Int = defaultFirstEpoch,
                seed: UInt64 = 0, context: Context) throws {
        guard !teachers.isEmpty else { throw DistillationError.missingTeacher(loss: "camkd-inter") }
        guard teacherShapes.count == teachers.count else {
            throw DistillationError.invalidConfiguration(
                "camkd-inter: \(teachers.count) teachers but \(teacherShapes.count) feature shapes")
        }
        for shape in [studentShape] + teacherShapes where shape.count != 3 || shape.contains(where: { $0 <= 0 }) {
            throw DistillationError.invalidConfiguration(
                "camkd-inter needs feature maps [C, H, W] from the student and every teacher; got \(shape) (a network without a stage map "
                + "cannot take the feature term: use --camkd-inter-weight 0)")
        }
        var generator = SplitMix64(seed: seed)
        embeddings = FeatureEmbeddings(try teacherShapes.map {
            try FeatureEmbedding(studentShape[0], $0[0], context: context, generator: &generator)
        })
        resizes = try teacherShapes.map {
            try FeatureMapResize(from: (studentShape[1], studentShape[2]), to: ($0[1], $0[2]), context: context)
        }
        self.teachers = teachers
        self.studentShape = studentShape
        self.teacherShapes = teacherShapes
        self.firstEpoch = firstEpoch
    }

    public var name: String { "camkd-inter" }
    /// Couples the batch (the embeddings' batch norms normalize with its statistics): refused under
    /// several data-parallel ranks and ghost batches.
    public var batchCoupledTerm: String? { name }
    public var teacherCount: ClosedRange<Int> { teachers.count...teachers.count }
    public func parameters() -> [Tensor] { embeddings.parameters() }
    public var state: (any Module)? { embeddings }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let context = step.context, batch = step.batchSize
        guard step.teachers.count == teachers.count else {
            throw DistillationError.invalidConfiguration(
                "camkd-inter was built for \(teachers.count) teachers; the step has \(step.teachers.count)")
        }
        guard step.epoch >= firstEpoch else { return try Tensor.zeros(shape: [1], context: context) }
        let feature = try map(step.student, expected: studentShape, role: "the student", batch: batch)
        let labels = try Tensor.oneHot(step.labels, classes: step.classes, context: context)
        var losses: [Tensor] = [], errors: [Tensor] = []
        for (k, teacher) in teachers.enumerated() {
            let target = try map(step.teachers[k], expected: teacherShapes[k], role: "teacher \(k)", batch: batch).detached()
            let embedded = try embeddings.embeddings[k](resizes[k](feature))
            losses.append(try ConfidenceAwareMultiTeacher.crossEntropies(teacher.logits(fromLastStage: embedded), labels: labels))
            errors.append(try (embedded - target).squared().flattened(from: 1).mean(alongAxis: 1).reshaped([batch, 1]))
        }
        let weights = try ConfidenceAwareMultiTeacher.confidenceWeights(losses, context: context)  // w': [B, K]
        return try (weights * Tensor.concatenated(errors, along: 1)).sum().scaled(by: 1 / Float(batch * teachers.count))
    }

    private func map(_ taps: FeatureTaps, expected: [Int], role: String, batch: Int) throws -> Tensor {
        guard let map = taps.stages.last, map.shape == [batch] + expected else {
            let actual = taps.stages.last.map { "\($0.shape)" } ?? "missing"
            throw DistillationError.invalidConfiguration(
                "camkd-inter: \(role)'s last stage map is \(actual), expected \([batch] + expected)")
        }
        return map
    }
}
