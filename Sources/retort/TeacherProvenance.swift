import Foundation
import RetortDistill

/// What a teacher checkpoint's metadata records about the teacher's training (`retort train` writes
/// it into every checkpoint): the input normalization it saw and its label smoothing.
struct TeacherProvenance {
    var weights: String
    /// Nil for a checkpoint from elsewhere (a converted PyTorch teacher), which records none.
    var normalization: Normalization?
    var labelSmoothing: Double?

    init(weights: String) throws {
        self.weights = weights
        let metadata = try SafeTensors(contentsOf: URL(fileURLWithPath: weights)).metadata
        normalization = Normalization(metadata: metadata)
        labelSmoothing = metadata["label_smoothing"].flatMap(Double.init)
    }

    /// The warning for a label-smoothed teacher (Müller et al. 2019), or nil.
    var labelSmoothingWarning: String? {
        guard let labelSmoothing, labelSmoothing > 0 else { return nil }
        return "warning: the teacher \(weights) was trained with label smoothing \(labelSmoothing); Müller et al. (2019) found that "
            + "label-smoothed teachers distill worse, because smoothing erases the information in the similarity structure of "
            + "their logits"
    }

    /// `teacher` as it should see the student's inputs: wrapped to renormalize them when it was
    /// trained under another normalization (with the line saying so), else itself.
    func adapted(_ teacher: any Classifier, studentNormalization: Normalization,
                 context: Context) throws -> (teacher: any Classifier, note: String?) {
        guard let normalization, normalization != studentNormalization else { return (teacher, nil) }
        let wrapped = try RenormalizedClassifier(teacher, from: studentNormalization, to: normalization, context: context)
        return (wrapped, "teacher \(weights) was trained on inputs normalized with \(normalization.summary), the student's are "
                + "\(studentNormalization.summary): renormalizing the teacher's inputs per channel")
    }
}
