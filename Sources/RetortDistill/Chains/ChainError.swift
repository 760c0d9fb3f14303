import Foundation

/// Why a teacher-assistant chain or a teacher sweep cannot run as asked.
public enum ChainError: Error, Equatable, CustomStringConvertible {
    /// A chain needs a teacher and a student at least.
    case tooFewModels([String])
    /// `--assistants auto` works within one model family; `model` belongs to none.
    case notInFamily(model: String)
    /// Teacher and student belong to different families.
    case mixedFamilies(teacher: String, teacherFamily: String, student: String, studentFamily: String)
    /// The teacher does not have more parameters than the student.
    case teacherNotLarger(teacher: String, teacherParameters: Int, student: String, studentParameters: Int)
    /// Fewer family members lie strictly between teacher and student than assistants were asked for.
    case notEnoughMembersBetween(teacher: String, student: String, requested: Int, available: [String])
    /// A teacher run kept no intermediate checkpoints to sweep.
    case noKeptCheckpoints(run: String)
    /// A run folder lacks what the sweep reads.
    case invalidRun(String)

    public var description: String {
        switch self {
        case .tooFewModels(let models):
            return "a chain needs at least a teacher and a student (got \(models.isEmpty ? "no models" : models.joined(separator: ","))); "
                + "list them largest first, e.g. --models plane10,plane6,plane2, or give teacher and student with --assistants auto"
        case .notInFamily(let model):
            return "\(model) is not in a family that --assistants auto can fill in (plain CNNs \(ModelFamily.plain.members.joined(separator: ", ")); "
                + "CIFAR ResNets \(ModelFamily.resnet.members.joined(separator: ", ")); WRNs \(ModelFamily.wideResNet.members.joined(separator: ", "))); "
                + "list the assistants yourself in --models"
        case .mixedFamilies(let teacher, let teacherFamily, let student, let studentFamily):
            return "--assistants auto needs teacher and student from one family: \(teacher) is a \(teacherFamily), \(student) is a \(studentFamily); "
                + "list the assistants yourself in --models"
        case .teacherNotLarger(let teacher, let teacherParameters, let student, let studentParameters):
            return "the teacher \(teacher) (\(TableCell.count(teacherParameters)) parameters) is not larger than the student \(student) "
                + "(\(TableCell.count(studentParameters))); give --models largest first"
        case .notEnoughMembersBetween(let teacher, let student, let requested, let available):
            let between = available.isEmpty ? "no member of their family lies" : "only \(available.joined(separator: ", ")) lie"
            return "\(between) strictly between \(teacher) and \(student) in size, so \(requested) assistant\(requested == 1 ? "" : "s") cannot be chosen; "
                + "distill directly (--models \(teacher),\(student)) or pick a larger teacher or a smaller student"
        case .noKeptCheckpoints(let run):
            return "\(run) kept no intermediate checkpoints (epoch-<n>.safetensors); train the teacher with "
                + "`retort train --save-every K …` to keep every K-th epoch's weights, then sweep"
        case .invalidRun(let message):
            return message
        }
    }
}
