import Foundation
import RetortDistill

/// The settings of `retort chain`, from a JSON file (`--config`, or the chain folder's
/// `config.json` with `--resume`) and flags with the same names; flags win. Its own keys are
/// `models`, `teacher-weights`, `assistants`, `compare-direct` and `out`; the rest are the
/// stages' training settings (``StageSettings``). Unknown keys are errors naming the key.
struct ChainConfiguration {
    /// How the assistants between teacher and student are given.
    enum Assistants: Equatable {
        /// Listed in `models` (or none: plain KD).
        case listed
        /// Chosen from the family: this many.
        case automatic(Int)
        /// Named with `--assistants a,b`.
        case named([String])
    }

    static let ownKeys = ["models", "teacher-weights", "assistants", "compare-direct", "out"]

    /// Teacher, (assistants,) student, as given. A model may repeat (a born-again sequence:
    /// `plane2,plane2,plane2`); the stage folders are numbered.
    var models: [String]
    var assistants = Assistants.listed
    var teacherWeights: String?
    var comparesDirect = false
    var out: String?
    var settings: StageSettings
    /// Epochs of every training stage.
    var epochs: Int

    static func resolve(file: [String: Any]?, flags: [String: String], switches: Set<String>) throws(CLIError) -> ChainConfiguration {
        let (own, settings) = try StageSettings.split(command: "chain", ownKeys: ownKeys, file: file, flags: flags,
                                                      switches: switches.subtracting(["compare-direct"]))
        let models = (own["models"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard models.count >= 2 else {
            throw .usage("chain needs --models TEACHER,[ASSISTANT,…,]STUDENT (largest first), e.g. --models plane10,plane6,plane2")
        }
        for name in models where !ModelZoo.names.contains(name) {
            throw .usage("models: unknown model '\(name)'; the zoo has \(ModelZoo.names.joined(separator: ", "))")
        }
        var configuration = ChainConfiguration(models: models, settings: settings, epochs: 0)
        configuration.teacherWeights = own["teacher-weights"]
        configuration.out = own["out"]
        let directInFile = try StageSettings.boolean("compare-direct", own["compare-direct"])
        configuration.comparesDirect = switches.contains("compare-direct") || directInFile
        if let text = own["assistants"] {
            let lowered = text.lowercased()
            if lowered == "auto" {
                configuration.assistants = .automatic(1)
            } else if let count = Int(lowered.hasPrefix("auto:") ? String(lowered.dropFirst(5)) : lowered) {
                guard (1...10).contains(count) else { throw .usage("assistants must be auto, auto:N or N with N in 1...10, got '\(text)'") }
                configuration.assistants = .automatic(count)
            } else {
                let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                for name in names where !ModelZoo.names.contains(name) {
                    throw .usage("assistants must be auto, auto:N, N or zoo model names; unknown model '\(name)'")
                }
                configuration.assistants = .named(names)
            }
            guard models.count == 2 else {
                throw .usage("--assistants takes --models TEACHER,STUDENT (two models); to list the assistants yourself, put them in --models")
            }
        }
        // Check every stage's settings now rather than after training the teacher.
        let folder = URL(fileURLWithPath: configuration.out ?? ".")
        configuration.epochs = try settings.teacher(model: models[0], run: folder).epochs
        _ = try settings.student(model: models[models.count - 1], teacher: models[0], weights: "teacher.safetensors", run: folder)
        return configuration
    }

    /// The chain folder when `out` is not given.
    var defaultDirectory: String { "runs/chain-" + models.joined(separator: "-") }

    /// The settings as JSON (the chain folder's `config.json`, which `--resume DIR` reads).
    var json: [String: Any] {
        var object = settings.json
        object["models"] = models.joined(separator: ",")
        switch assistants {
        case .listed: break
        case .automatic(let count): object["assistants"] = "auto:\(count)"
        case .named(let names): object["assistants"] = names.joined(separator: ",")
        }
        if let teacherWeights { object["teacher-weights"] = teacherWeights }
        if comparesDirect { object["compare-direct"] = true }
        if let out { object["out"] = out }
        return object
    }
}
