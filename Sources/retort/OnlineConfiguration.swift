import RetortDistill

/// The settings of `retort online`: the training settings (each network's SGD and schedule; no
/// single `model`), the networks, the method with its options, per-network learning rates, and
/// SOKD's teacher weights.
struct OnlineConfiguration: CommandConfiguration {
    static let command = TrainingCommand.online
    var training = TrainingSettings()
    /// The networks' zoo names.
    var models: [String] = []
    /// The online method's name.
    var method: String?
    /// One learning rate per network (`lrs`); empty: `lr` for all.
    var learningRates: [Double] = []
    /// The pretrained teacher's weights (SOKD).
    var teacherWeights: [String] = []
    /// The method's numeric options (`temperature`).
    var methodOptions: [String: Double] = [:]
    /// The method's choices (`topology`).
    var methodTextOptions: [String: String] = [:]

    /// The options the online methods declare, by key.
    static let optionDeclarations: [String: MethodOption] = Dictionary(
        OnlineMethod.allCases.flatMap(\.options).map { ($0.key, $0) }) { first, _ in first }
    static let keys = TrainingSettings.keys.filter { !["model", "save-every", "ghost-batches"].contains($0) }
        + ["models", "method", "lrs", "teacher-weights"]
        + optionDeclarations.keys.sorted()

    init() {}

    mutating func setOwn(_ setting: SettingText) throws(CLIError) {
        switch setting.key {
        case "models": models = setting.list()
        case "method": method = setting.text
        case "teacher-weights": teacherWeights = setting.list()
        case "lrs":
            let items = setting.list()
            let values = items.compactMap { Double($0) }.filter { $0.isFinite && (0...100).contains($0) }
            guard values.count == items.count, !values.isEmpty else {
                throw .usage("lrs must be learning rates like 0.1,0.05 (one per network), got '\(setting.text)'")
            }
            learningRates = values
        default:
            guard let declaration = Self.optionDeclarations[setting.key] else { return }
            if let value = try setting.option(declaration) {
                methodOptions[setting.key] = value
            } else {
                methodTextOptions[setting.key] = setting.text
            }
        }
    }

    /// Checks the method, its network count, teacher weights and options.
    mutating func validate() throws(CLIError) {
        let methods = OnlineMethod.allCases
        guard let method else { throw .usage("online needs --method \(methods.map(\.name).joined(separator: "|"))") }
        let chosen: OnlineMethod
        do { chosen = try OnlineMethod(name: method) } catch { throw .usage(error.description) }
        guard !models.isEmpty else { throw .usage("online needs --models A,B[,…] (zoo names, one per network)") }
        let note = chosen.networksNote.map { ": " + $0 } ?? ""
        if chosen.networks == 2...2 {
            guard models.count == 2 else {
                throw .usage("\(method) trains exactly two networks (--models TEACHER,STUDENT), got \(models.count)" + note)
            }
        } else if chosen.networks.upperBound == .max, !chosen.networks.contains(models.count) {
            throw .usage("\(method) trains \(chosen.networks.lowerBound == 2 ? "two" : "\(chosen.networks.lowerBound)") or more networks; "
                         + "give --models A,B[,…], got \(models.count)" + note)
        }
        let teachers = methods.filter(\.teachesFromFrozenTeacher).map { "--method \($0.name)" }
        if chosen.teachesFromFrozenTeacher {
            guard teacherWeights.count == 1 else {
                throw .usage("\(method) needs the pretrained teacher's weights: --teacher-weights FILE (one file, for \(models[0]))")
            }
        } else if !teacherWeights.isEmpty {
            throw .usage("teacher-weights applies to \(MethodOption.sentence(teachers)) only (its pretrained teacher)")
        }
        for key in (methodOptions.keys.sorted() + methodTextOptions.keys.sorted()) where chosen.option(key) == nil {
            let readers = methods.filter { $0.option(key) != nil }.map { "--method \($0.name)" }
            let note = key == DistillationMethod.temperatureKey ? " (the others use T = 1)" : ""
            throw .usage("\(key) applies to \(MethodOption.sentence(readers)) only" + note)
        }
        for (key, value) in methodOptions where value <= 0 { throw .usage("\(key) must be positive, got \(value)") }
        // The method checks its options against the number of networks (SwitOKD's topology).
        do { _ = try chosen.makeObjective(options: methodOptions, text: methodTextOptions, networks: models.count) } catch {
            throw .usage("\(error)")
        }
        if !learningRates.isEmpty, learningRates.count != models.count {
            throw .usage("give one learning rate per network: --lrs has \(learningRates.count), --models \(models.count)")
        }
    }

    var ownJSON: [String: Any] {
        var object: [String: Any] = ["models": models]
        if let method { object["method"] = method }
        if !learningRates.isEmpty { object["lrs"] = learningRates }
        if !teacherWeights.isEmpty { object["teacher-weights"] = teacherWeights }
        for (key, value) in methodOptions { object[key] = value }
        for (key, value) in methodTextOptions { object[key] = value }
        return object
    }

    var defaultRunName: String { "\(models.joined(separator: "+"))-\(method ?? "")" }
}
