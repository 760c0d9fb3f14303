import RetortDistill

/// The settings of `retort train`: the training settings and, with `teacher-model`, the teacher and
/// options of `distill --loss kd` (train from a teacher is an alias of it).
struct TrainConfiguration: CommandConfiguration, TrainingJobConfiguration {
    static let command = TrainingCommand.train
    var training = TrainingSettings()
    /// `--teacher-model`: the teacher of `distill --loss kd` under another name.
    var teacherModel: String?
    /// `--teacher-weights`: the teacher's weights (one file).
    var teacherWeights: [String] = []
    /// The options of `--loss kd` (with `teacher-model` only).
    var methodSettings = DistillationSettings()

    /// What `train --teacher-model` reads: the options of `distill --loss kd`.
    static let teacherModelKeys = DistillationSettings.weightKeys + DistillationMethod.kd.optionKeys
    /// Keys `train --teacher-model` took before it became `distill --loss kd`, and their new names.
    static let renamedKeys = ["kd-temperature": DistillationMethod.temperatureKey, "kd-alpha": DistillationMethod.lossWeightKey,
                              "kd-gamma": DistillationMethod.crossEntropyWeightKey]
    static let keys = TrainingSettings.keys + TrainingSettings.dataParallelKeys + ["teacher-model", "teacher-weights"] + teacherModelKeys

    init() {}

    /// Refuses the keys `train --teacher-model` took before, naming their new names.
    static func refuseRenamedKeys(_ given: [String]) throws(CLIError) {
        if let old = given.sorted().first(where: { renamedKeys[$0] != nil }) {
            throw .usage("\(old) is now \(renamedKeys[old]!): train --teacher-model is distill --loss kd and takes its options "
                         + "(--temperature, --ce-weight, --loss-weight)")
        }
    }

    mutating func setOwn(_ setting: SettingText) throws(CLIError) {
        switch setting.key {
        case "teacher-model": teacherModel = setting.text
        case "teacher-weights": teacherWeights = [setting.text]
        default: try methodSettings.set(setting)
        }
    }

    mutating func validate() throws(CLIError) {
        guard teacherModel != nil else {
            if let stray = methodSettings.firstGivenKey {
                throw .usage("\(stray) applies to distillation from --teacher-model NAME --teacher-weights FILE")
            }
            return
        }
        guard teacherWeights.count == 1 else { throw .usage("--teacher-model needs --teacher-weights FILE.safetensors") }
        try methodSettings.check(against: .kd)
    }

    var ownJSON: [String: Any] {
        var object = methodSettings.json
        if let teacherModel { object["teacher-model"] = teacherModel }
        if let weights = teacherWeights.first { object["teacher-weights"] = weights }
        return object
    }

    var defaultRunName: String { "\(training.model)-\(training.dataset)" }

    /// The options given for kd.
    var methodOptions: [String: Double] { methodSettings.methodOptions }
    /// kd with `teacher-model`; nil for plain training.
    var distillationMethod: String? { teacherModel.map { _ in DistillationMethod.kd.name } }
    var teacherNames: [String] { teacherModel.map { [$0] } ?? [] }
    var distillation: DistillationSettings? {
        guard teacherModel != nil else { return nil }
        var settings = methodSettings
        settings.method = DistillationMethod.kd.name
        return settings
    }
}
