import Foundation
import RetortDistill

/// The settings of `retort train`, `retort distill`, `retort selfdistill`, `retort prune` and `retort online`, from a JSON file
/// (`--config`) and command-line flags with the same names; flags override the file. Unknown keys,
/// keys of another command or method, and bad values are errors naming the key.
struct TrainConfiguration: Equatable {
    /// Which command the settings are for.
    enum Command: String { case train, distill, selfdistill, prune, online }
    var command = Command.train
    var model = "plane6"
    var dataset = "fashion-mnist"
    var dataDirectory: String?
    var epochs = 3
    var batchSize = 128
    var learningRate = 0.05
    var momentum = 0.9
    var weightDecay = 5e-4
    var nesterov = false
    var schedule = "cosine"
    var milestones: [Int] = []
    var gamma = 0.1
    var stepSize = 30
    var warmupEpochs = 0
    var labelSmoothing = 0.0
    var seed = 0
    var limit: Int?
    var out: String?
    /// Keep the weights after every `saveEvery`-th epoch (`epoch-<n>.safetensors`).
    var saveEvery: Int?
    /// `train --teacher-model`: the teacher of `distill --loss kd` under another name.
    var teacherModel: String?
    /// Teacher weights: one file for `train --teacher-model`, one per `--teacher` for `distill`.
    var teacherWeights: [String] = []
    /// `distill`: the teachers' zoo names.
    var teachers: [String] = []
    /// `distill --loss` / `selfdistill --method`.
    var method: String?
    /// Numeric and boolean method options (`ce-weight`, `loss-weight`, `temperature`, `dkd-beta`, …;
    /// booleans as 1 or 0).
    var methodOptions: [String: Double] = [:]
    /// Method options that name a choice (`kd-reduction`).
    var textOptions: [String: String] = [:]
    /// `prune`: the dense weights, the target sparsity, and iterative pruning's per-round rate and rounds.
    var weights: String?
    var sparsity: Double?
    var rate: Double?
    var rounds: Int?
    /// `online`: the networks' zoo names, and optionally one learning rate per network (`lrs`).
    var models: [String] = []
    var learningRates: [Double] = []

    /// The keys every training command takes, as they appear in JSON and (with `--`) on the command line.
    static let commonKeys = ["model", "dataset", "data-dir", "epochs", "batch-size", "lr", "momentum", "weight-decay", "nesterov",
                             "schedule", "milestones", "gamma", "step-size", "warmup-epochs", "label-smoothing", "seed", "limit", "out", "save-every"]
    /// The keys every distillation method reads: the weights of CE and of the term, and the temperature.
    static let weightKeys = [DistillationMethod.crossEntropyWeightKey, DistillationMethod.lossWeightKey, DistillationMethod.temperatureKey]
    /// The options the distillation methods declare, by key (each method reads the ones it declares);
    /// the training keys some of them read (`label-smoothing`) are not among them.
    static let methodOptionDeclarations: [String: MethodOption] = Dictionary(
        DistillationMethod.allCases.flatMap(\.options).filter { !commonKeys.contains($0.key) }.map { ($0.key, $0) }) { first, _ in first }
    /// Options of the distillation methods: the weights, the temperature and every declared option.
    static let methodKeys = weightKeys + methodOptionDeclarations.keys.sorted()
    /// The options the online methods declare, by key.
    static let onlineOptionDeclarations: [String: MethodOption] = Dictionary(
        OnlineMethod.allCases.flatMap(\.options).map { ($0.key, $0) }) { first, _ in first }
    /// What `train --teacher-model` reads: the options of `distill --loss kd`.
    static let teacherModelKeys = weightKeys + DistillationMethod.kd.optionKeys
    /// Keys `train --teacher-model` took before it became `distill --loss kd`, and their new names.
    static let renamedKeys = ["kd-temperature": DistillationMethod.temperatureKey, "kd-alpha": DistillationMethod.lossWeightKey,
                              "kd-gamma": DistillationMethod.crossEntropyWeightKey]

    /// Every key of `command`.
    static func keys(for command: Command) -> [String] {
        switch command {
        case .train: return commonKeys + ["teacher-model", "teacher-weights"] + teacherModelKeys
        case .distill: return commonKeys + ["student", "teacher", "teacher-weights", "loss"] + methodKeys
        case .selfdistill: return commonKeys + ["method"] + methodKeys
        case .prune: return commonKeys + pruneKeys
        case .online: return commonKeys.filter { $0 != "model" && $0 != "save-every" } + ["models", "method", "lrs", "teacher-weights"]
            + onlineOptionDeclarations.keys.sorted()
        }
    }

    /// Builds the configuration from the optional JSON file, then the flags.
    static func resolve(_ command: Command = .train, file: [String: Any]?, flags: [String: String],
                        switches: Set<String>) throws(CLIError) -> TrainConfiguration {
        var configuration = TrainConfiguration()
        configuration.command = command
        let keys = keys(for: command)
        if command == .train, let old = (Array((file ?? [:]).keys) + Array(flags.keys)).sorted().first(where: { renamedKeys[$0] != nil }) {
            throw .usage("\(old) is now \(renamedKeys[old]!): train --teacher-model is distill --loss kd and takes its options "
                         + "(--temperature, --ce-weight, --loss-weight)")
        }
        for (key, value) in (file ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard keys.contains(key) else {
                throw .usage("unknown key '\(key)' in the config file for '\(command.rawValue)'; known keys: \(keys.joined(separator: ", "))")
            }
            let text = (value as? [Any]).map { $0.map { "\($0)" }.joined(separator: ",") } ?? (value is String ? value as! String : "\(value)")
            try configuration.set(key, to: text, json: value)
        }
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) where key != "config" && key != "resume" {
            guard keys.contains(key) else { throw .usage("unknown option '--\(key)' for '\(command.rawValue)'") }
            try configuration.set(key, to: value, json: nil)
        }
        if switches.contains("nesterov") { configuration.nesterov = true }
        try configuration.validateMethod()
        return configuration
    }

    /// Checks the method, its options and the teachers of `distill`/`selfdistill`.
    private mutating func validateMethod() throws(CLIError) {
        switch command {
        case .train:
            guard teacherModel != nil else {
                if let stray = methodOptions.keys.sorted().first ?? textOptions.keys.sorted().first {
                    throw .usage("\(stray) applies to distillation from --teacher-model NAME --teacher-weights FILE")
                }
                return
            }
            guard teacherWeights.count == 1 else { throw .usage("--teacher-model needs --teacher-weights FILE.safetensors") }
            try checkOptions(of: .kd)
        case .distill:
            let name = method ?? DistillationMethod.kd.name
            guard let chosen = try? DistillationMethod(name: name, among: DistillationMethod.offline) else {
                throw .usage("unknown loss '\(name)'; choose one of \(DistillationMethod.offline.map(\.name).joined(separator: ", "))")
            }
            method = name
            guard !teachers.isEmpty else { throw .usage("distill needs --teacher NAME --teacher-weights FILE (repeat both for several teachers)") }
            guard teacherWeights.count == teachers.count else {
                throw .usage("give one --teacher-weights per --teacher: \(teachers.count) teachers, \(teacherWeights.count) weight files")
            }
            if teachers.count > 1, !chosen.acceptsSeveralTeachers {
                let several = DistillationMethod.offline.filter(\.acceptsSeveralTeachers).map(\.name)
                throw .usage("--loss \(name) takes one teacher; several teachers work with --loss \(MethodOption.sentence(several, joinedBy: "or"))")
            }
            try checkOptions(of: chosen)
        case .prune: try validatePruning()
        case .selfdistill:
            let methods = DistillationMethod.selfDistillation.map(\.name)
            guard let name = method else { throw .usage("selfdistill needs --method \(methods.joined(separator: "|"))") }
            guard let chosen = try? DistillationMethod(name: name, among: DistillationMethod.selfDistillation) else {
                throw .usage("unknown method '\(name)'; choose one of \(methods.joined(separator: ", "))")
            }
            try checkOptions(of: chosen)
            // A method that reads a training key (ls: label-smoothing) brings its default for it.
            if let option = chosen.option("label-smoothing"), labelSmoothing == 0 { labelSmoothing = option.defaultNumber }
        case .online: try validateOnline()
        }
    }

    private func checkOptions(of method: DistillationMethod) throws(CLIError) {
        let allowed = Set(Self.weightKeys + method.optionKeys)
        if let stray = (methodOptions.keys.sorted() + textOptions.keys.sorted()).first(where: { !allowed.contains($0) }) {
            throw .usage("\(stray) does not apply to \(method.name); it reads \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// The distillation method the run trains with: the loss of `distill`, the method of
    /// `selfdistill`, kd for `train --teacher-model`; nil for plain training.
    var distillationMethod: String? {
        switch command {
        case .distill, .selfdistill: return method ?? DistillationMethod.kd.name
        case .train: return teacherModel.map { _ in DistillationMethod.kd.name }
        case .prune, .online: return nil
        }
    }

    /// The teachers' zoo names (`train --teacher-model` names one).
    var teacherNames: [String] { command == .train ? teacherModel.map { [$0] } ?? [] : teachers }

    /// The run folder's name under `runs/` when `out` is not given.
    var defaultRunName: String {
        switch command {
        case .train: return "\(model)-\(dataset)"
        case .distill: return "\(model)-from-\(teachers.joined(separator: "+"))-\(method ?? "kd")"
        case .selfdistill: return "\(model)-\(method ?? "")"
        case .prune: return "\(model)-\(method ?? "prue")-pruned"
        case .online: return "\(models.joined(separator: "+"))-\(method ?? "")"
        }
    }

    /// The configuration as JSON (the run folder's `config.json`).
    var json: [String: Any] {
        var object: [String: Any] = ["model": model, "dataset": dataset, "epochs": epochs, "batch-size": batchSize, "lr": learningRate,
                                     "momentum": momentum, "weight-decay": weightDecay, "nesterov": nesterov, "schedule": schedule,
                                     "milestones": milestones, "gamma": gamma, "step-size": stepSize, "warmup-epochs": warmupEpochs,
                                     "label-smoothing": labelSmoothing, "seed": seed]
        if let dataDirectory { object["data-dir"] = dataDirectory }
        if let limit { object["limit"] = limit }
        if let out { object["out"] = out }
        if let saveEvery { object["save-every"] = saveEvery }
        if command == .prune { object.merge(pruneJSON) { $1 } }
        if let teacherModel { object["teacher-model"] = teacherModel }
        if !teacherWeights.isEmpty { object["teacher-weights"] = command == .train ? teacherWeights[0] as Any : teacherWeights }
        if !teachers.isEmpty { object["teacher"] = teachers }
        if let method { object[command == .distill ? "loss" : "method"] = method }
        for (key, value) in methodOptions { object[key] = value }
        for (key, value) in textOptions { object[key] = value }
        if command == .online {
            object["model"] = nil
            object["models"] = models
            if !learningRates.isEmpty { object["lrs"] = learningRates }
        }
        return object
    }

    private mutating func set(_ key: String, to text: String, json: Any?) throws(CLIError) {
        func integer(_ range: ClosedRange<Int>) throws(CLIError) -> Int {
            guard let value = Int(text), range.contains(value) else { throw .usage("\(key) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'") }
            return value
        }
        func list() -> [String] { text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        func number(_ range: ClosedRange<Double>) throws(CLIError) -> Double {
            guard let value = Double(text), value.isFinite, range.contains(value) else { throw .usage("\(key) must be a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'") }
            return value
        }
        switch key {
        case "model": model = text
        case "dataset":
            guard ["fashion-mnist", "mnist", "cifar10", "cifar100"].contains(text) else {
                throw .usage("dataset must be fashion-mnist, mnist, cifar10 or cifar100, got '\(text)'")
            }
            dataset = text
        case "data-dir": dataDirectory = text
        case "epochs": epochs = try integer(1...100_000)
        case "batch-size": batchSize = try integer(2...65_536)
        case "lr": learningRate = try number(0...100)
        case "momentum": momentum = try number(0...1)
        case "weight-decay": weightDecay = try number(0...1)
        case "nesterov":
            // JSON booleans arrive as NSNumber (printing as 0/1).
            guard let value = (json as? Bool) ?? Bool(text) else { throw .usage("nesterov must be true or false, got '\(text)'") }
            nesterov = value
        case "schedule":
            guard ["cosine", "multistep", "step", "constant"].contains(text) else {
                throw .usage("schedule must be cosine, multistep, step or constant, got '\(text)'")
            }
            schedule = text
        case "milestones":
            let items = (json as? [Any])?.map { "\($0)" } ?? text.split(separator: ",").map(String.init)
            let values = items.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == items.count, values.allSatisfy({ $0 > 0 }) else {
                throw .usage("milestones must be positive epoch numbers like 150,180,210, got '\(text)'")
            }
            milestones = values
        case "gamma": gamma = try number(0...1)
        case "step-size": stepSize = try integer(1...100_000)
        case "warmup-epochs": warmupEpochs = try integer(0...100_000)
        case "label-smoothing": labelSmoothing = try number(0...1)
        case "seed": seed = try integer(0...Int(Int32.max))
        case "limit": limit = try integer(1...Int(Int32.max))
        case "out": out = text
        case "save-every": saveEvery = try integer(1...100_000)
        case "teacher-model": teacherModel = text
        case "teacher-weights": teacherWeights = command == .train ? [text] : list()
        case "student": model = text
        case "models": models = list()
        case "lrs":
            let items = list()
            let values = items.compactMap { Double($0) }.filter { $0.isFinite && (0...100).contains($0) }
            guard values.count == items.count, !values.isEmpty else { throw .usage("lrs must be learning rates like 0.1,0.05 (one per network), got '\(text)'") }
            learningRates = values
        case "teacher": teachers = list()
        case "loss", "method": method = text
        case _ where command == .online && Self.onlineOptionDeclarations[key] != nil:
            do { methodOptions[key] = try Self.onlineOptionDeclarations[key]!.parse(text) } catch { throw .usage(error.description) }
        case _ where Self.weightKeys.contains(key): methodOptions[key] = try number(MethodOption.defaultRange)
        case _ where Self.methodOptionDeclarations[key] != nil:
            do {
                if let value = try Self.methodOptionDeclarations[key]!.parse(text) { methodOptions[key] = value } else { textOptions[key] = text }
            } catch { throw .usage(error.description) }
        case "weights": weights = text
        case "sparsity", "rate":
            guard let value = Double(text), value > 0, value < 1 else { throw .usage("\(key) must be a fraction strictly between 0 and 1, got '\(text)'") }
            if key == "sparsity" { sparsity = value } else { rate = value }
        case "rounds": rounds = try integer(1...1_000)
        default: throw .usage("unknown option '--\(key)' for '\(command.rawValue)'")
        }
    }
}
