import RetortDistill

/// The settings of `retort selfdistill`: the training settings and the method with its options.
struct SelfDistillConfiguration: CommandConfiguration, TrainingJobConfiguration {
    static let command = TrainingCommand.selfdistill
    var training = TrainingSettings()
    /// `method` and its options.
    var methodSettings = DistillationSettings()

    static let keys = TrainingSettings.keys + TrainingSettings.dataParallelKeys + ["method"] + DistillationSettings.keys

    init() {}

    mutating func setOwn(_ setting: SettingText) throws(CLIError) {
        if setting.key == "method" { methodSettings.method = setting.text } else { try methodSettings.set(setting) }
    }

    /// Checks the method and its options; a method that reads a training key (ls: label-smoothing)
    /// brings its default for it.
    mutating func validate() throws(CLIError) {
        let methods = DistillationMethod.selfDistillation.map(\.name)
        guard let name = methodSettings.method else { throw .usage("selfdistill needs --method \(methods.joined(separator: "|"))") }
        guard let chosen = try? DistillationMethod(name: name, among: DistillationMethod.selfDistillation) else {
            throw .usage("unknown method '\(name)'; choose one of \(methods.joined(separator: ", "))")
        }
        try methodSettings.check(against: chosen)
        if let option = chosen.option("label-smoothing"), training.labelSmoothing == 0 { training.labelSmoothing = option.defaultNumber }
    }

    var ownJSON: [String: Any] {
        var object = methodSettings.json
        if let method = methodSettings.method { object["method"] = method }
        return object
    }

    var defaultRunName: String { "\(training.model)-\(method ?? "")" }

    var method: String? { methodSettings.method }
    var methodOptions: [String: Double] { methodSettings.methodOptions }
    var teacherNames: [String] { [] }
    var teacherWeights: [String] { [] }
    var distillation: DistillationSettings? { methodSettings }
}
