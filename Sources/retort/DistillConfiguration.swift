import RetortDistill

/// The settings of `retort distill`: the training settings (`student` names the model), the
/// teachers with their weights, and the loss with its options.
struct DistillConfiguration: CommandConfiguration, TrainingJobConfiguration {
    static let command = TrainingCommand.distill
    var training = TrainingSettings()
    /// The teachers' zoo names.
    var teachers: [String] = []
    /// One weights file per teacher.
    var teacherWeights: [String] = []
    /// `loss` and its options.
    var methodSettings = DistillationSettings()

    static let keys = TrainingSettings.keys + TrainingSettings.dataParallelKeys + ["student", "teacher", "teacher-weights", "loss"]
        + DistillationSettings.keys

    init() {}

    mutating func setOwn(_ setting: SettingText) throws(CLIError) {
        switch setting.key {
        case "student": training.model = setting.text
        case "teacher": teachers = setting.list()
        case "teacher-weights": teacherWeights = setting.list()
        case "loss": methodSettings.method = setting.text
        default: try methodSettings.set(setting)
        }
    }

    /// Checks the loss, its options and the teachers.
    mutating func validate() throws(CLIError) {
        let name = methodSettings.method ?? DistillationMethod.kd.name
        guard let chosen = try? DistillationMethod(name: name, among: DistillationMethod.offline) else {
            throw .usage("unknown loss '\(name)'; choose one of \(DistillationMethod.offline.map(\.name).joined(separator: ", "))")
        }
        methodSettings.method = name
        guard !teachers.isEmpty else {
            throw .usage("distill needs --teacher NAME --teacher-weights FILE (repeat both for several teachers)")
        }
        guard teacherWeights.count == teachers.count else {
            throw .usage("give one --teacher-weights per --teacher: \(teachers.count) teachers, \(teacherWeights.count) weight files")
        }
        if teachers.count > 1, !chosen.acceptsSeveralTeachers {
            let several = DistillationMethod.offline.filter(\.acceptsSeveralTeachers).map(\.name)
            throw .usage("--loss \(name) takes one teacher; several teachers work with --loss \(MethodOption.sentence(several))")
        }
        try methodSettings.check(against: chosen)
    }

    var ownJSON: [String: Any] {
        var object = methodSettings.json
        object["teacher"] = teachers
        object["teacher-weights"] = teacherWeights
        if let method = methodSettings.method { object["loss"] = method }
        return object
    }

    var defaultRunName: String { "\(training.model)-from-\(teachers.joined(separator: "+"))-\(method ?? DistillationMethod.kd.name)" }

    /// The loss.
    var method: String? { methodSettings.method }
    var methodOptions: [String: Double] { methodSettings.methodOptions }
    var teacherNames: [String] { teachers }
    var distillation: DistillationSettings? { methodSettings }
}
