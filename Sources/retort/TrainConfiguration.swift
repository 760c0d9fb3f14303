import Foundation

/// The settings of `retort train`, from a JSON file (`--config`) and command-line flags with the
/// same names; flags override the file. Unknown keys and bad values are errors naming the key.
struct TrainConfiguration: Equatable {
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
    var teacherModel: String?
    var teacherWeights: String?
    var kdTemperature = 4.0
    var kdAlpha = 0.9
    var kdGamma = 0.1

    /// Every key, as it appears in JSON and (with `--`) on the command line.
    static let keys = ["model", "dataset", "data-dir", "epochs", "batch-size", "lr", "momentum", "weight-decay", "nesterov",
                       "schedule", "milestones", "gamma", "step-size", "warmup-epochs", "label-smoothing", "seed", "limit", "out",
                       "teacher-model", "teacher-weights", "kd-temperature", "kd-alpha", "kd-gamma"]

    /// Builds the configuration from the optional JSON file, then the flags.
    static func resolve(file: [String: Any]?, flags: [String: String], switches: Set<String>) throws(CLIError) -> TrainConfiguration {
        var configuration = TrainConfiguration()
        for (key, value) in (file ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard keys.contains(key) else {
                throw .usage("unknown key '\(key)' in the config file; known keys: \(keys.joined(separator: ", "))")
            }
            try configuration.set(key, to: value is String ? value as! String : "\(value)", json: value)
        }
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) where key != "config" && key != "resume" {
            try configuration.set(key, to: value, json: nil)
        }
        if switches.contains("nesterov") { configuration.nesterov = true }
        return configuration
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
        if let teacherModel { object["teacher-model"] = teacherModel }
        if let teacherWeights { object["teacher-weights"] = teacherWeights }
        if teacherModel != nil { object["kd-temperature"] = kdTemperature; object["kd-alpha"] = kdAlpha; object["kd-gamma"] = kdGamma }
        return object
    }

    private mutating func set(_ key: String, to text: String, json: Any?) throws(CLIError) {
        func integer(_ range: ClosedRange<Int>) throws(CLIError) -> Int {
            guard let value = Int(text), range.contains(value) else { throw .usage("\(key) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'") }
            return value
        }
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
        case "teacher-model": teacherModel = text
        case "teacher-weights": teacherWeights = text
        case "kd-temperature": kdTemperature = try number(0.01...100)
        case "kd-alpha": kdAlpha = try number(0...100)
        case "kd-gamma": kdGamma = try number(0...100)
        default: throw .usage("unknown option '--\(key)' for 'train'")
        }
    }
}
