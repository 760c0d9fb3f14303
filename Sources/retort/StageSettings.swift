import Foundation
import RetortDistill

/// The training settings every stage of `retort chain` and `retort sweep-teachers` shares: the keys
/// of `distill` other than the models, teachers and run folder (epochs, lr, batch size, schedule,
/// seed, limit, dataset, the loss and its options). Each stage gets its own configuration
/// from them (a `TrainConfiguration` for the chain's teacher, a `DistillConfiguration` for every other stage), so values are
/// checked, and errors name the key, exactly as in `train` and `distill`.
struct StageSettings {
    /// The keys shared by the stages.
    static let keys = TrainingSettings.keys.filter { $0 != "model" && $0 != "out" } + ["loss"] + DistillationSettings.keys
    /// Settings from the JSON file (`--config`), by key.
    var file: [String: Any] = [:]
    /// Settings from the command line, by key (they win over the file).
    var flags: [String: String] = [:]
    var switches: Set<String> = []

    /// Splits a command's JSON file and flags into its own keys (as text) and the shared
    /// training settings; any other key is an error that names it and the command.
    static func split(command: String, ownKeys: [String], file: [String: Any]?, flags: [String: String], switches: Set<String>,
                      refused: [String: String] = [:]) throws(CLIError) -> (own: [String: String], settings: StageSettings) {
        var own: [String: String] = [:]
        var settings = StageSettings(switches: switches)
        let known = (ownKeys + keys).filter { refused[$0] == nil }
        for (key, value) in (file ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let reason = refused[key] { throw .usage("'\(key)' in the config file: \(reason)") }
            if ownKeys.contains(key) {
                own[key] = SettingText.text(of: value)
            } else if keys.contains(key) {
                settings.file[key] = value
            } else {
                throw .usage("unknown key '\(key)' in the config file for '\(command)'; known keys: \(known.joined(separator: ", "))")
            }
        }
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) where key != "config" && key != "resume" {
            if let reason = refused[key] { throw .usage("--\(key): \(reason)") }
            if ownKeys.contains(key) {
                own[key] = value
            } else if keys.contains(key) {
                settings.flags[key] = value
            } else {
                throw .usage("unknown option '--\(key)' for '\(command)'")
            }
        }
        return (own, settings)
    }

    /// A boolean setting's text: `true`/`false` from a flag, `1`/`0` from a JSON boolean.
    static func boolean(_ key: String, _ text: String?) throws(CLIError) -> Bool {
        switch text?.lowercased() {
        case nil, "false", "0": return false
        case "true", "1": return true
        default: throw .usage("\(key) must be true or false, got '\(text ?? "")'")
        }
    }

    /// The settings as one JSON object (file values, then flags), for a command's `config.json`.
    var json: [String: Any] {
        var object = file
        for (key, value) in flags { object[key] = value }
        if switches.contains("nesterov") { object["nesterov"] = true }
        return object
    }

    /// The chain teacher's configuration: `train` on the labels alone (the loss options do not apply).
    func teacher(model: String, run: URL) throws(CLIError) -> TrainConfiguration {
        let common = Set(TrainingSettings.keys)
        return try TrainConfiguration.resolve(file: file.filter { common.contains($0.key) },
                                              flags: flags.filter { common.contains($0.key) }.merging(["model": model, "out": run.path]) { $1 },
                                              switches: switches)
    }

    /// A student's configuration: `distill` from one teacher.
    func student(model: String, teacher: String, weights: String, run: URL) throws(CLIError) -> DistillConfiguration {
        try DistillConfiguration.resolve(file: file, flags: flags.merging(["student": model, "teacher": teacher, "teacher-weights": weights,
                                                                                   "out": run.path]) { $1 },
                                       switches: switches)
    }

    /// Runs one stage as a `TrainingJob` into its folder (or, for given teacher weights, evaluates
    /// them on the test split); data-parallel with the other ranks of `dataParallel` when given.
    func run(_ request: StageRequest, context: Context, dataParallel: DataParallel? = nil) throws -> StageResult {
        let started = Date()
        let configuration: any TrainingJobConfiguration
        switch request.task {
        case .evaluate(let weights):
            let settings = try teacher(model: request.model, run: request.directory)
            var test = try settings.training.dataset(.test, limit: settings.limit, say: Console.say)
            // The teacher sees the inputs it was trained on: its recorded normalization, else the settings'.
            test.normalization = try TeacherProvenance(weights: weights.path).normalization ?? settings.training.normalization()
            let model = try TrainingJob.loadTeacher(request.model, weights: weights.path, like: test, context: context)
            let loader = try DataLoader(dataset: test, batchSize: 500, mode: .test, seed: 0, workers: settings.training.workers)
            let evaluation = try Evaluation.run(model, on: loader)
            Console.say(String(format: "%@ (%@): test top-1 %.2f%%, ECE %.4f on %d images", request.model, weights.path,
                                    evaluation.top1 * 100, evaluation.calibrationError, test.count))
            return StageResult(history: [], parameterCount: model.parameterCount, seconds: Date().timeIntervalSince(started),
                               evaluation: (evaluation.top1, evaluation.calibrationError))
        case .train:
            configuration = try teacher(model: request.model, run: request.directory)
        case .distill(let teacherModel, let weights):
            configuration = try student(model: request.model, teacher: teacherModel, weights: weights.path, run: request.directory)
        }
        var job = TrainingJob(configuration: configuration, run: request.directory)
        job.resumes = request.resumes
        job.dataParallel = dataParallel
        let outcome = try job.execute(context: context)
        return StageResult(history: outcome.history, parameterCount: outcome.parameterCount, seconds: Date().timeIntervalSince(started),
                           interrupted: outcome.interrupted)
    }

    /// The parameter count of a zoo model for the dataset's input shape and classes.
    func parameterCounter(context: Context) throws -> (String) throws -> Int {
        let settings = try teacher(model: "plane2", run: URL(fileURLWithPath: "."))
        let probe = try settings.training.dataset(.test, limit: 1, say: { _ in })
        var counts: [String: Int] = [:]
        return { name in
            if let count = counts[name] { return count }
            let count = try ModelZoo.make(name, inputChannels: probe.channels, inputSize: probe.height, classes: probe.classes, context: context)
                .parameterCount
            counts[name] = count
            return count
        }
    }
}
