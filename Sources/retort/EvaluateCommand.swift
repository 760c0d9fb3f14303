import Foundation
import RetortDistill

/// `retort eval` (top-1, top-5 and loss of saved weights) and `retort predict` (a split's logits
/// and labels to a safetensors file).
enum EvaluateCommand: RegisteredCommand {
    static let name = "eval"
    static let order = 90
    static let summary = "top-1, top-5 and loss of saved weights"
    static let usage = """
        --model NAME --weights FILE --dataset NAME [--data-dir DIR] [--split test|train]
        [--normalization NAME | --mean a,b,c --std a,b,c]   default: the normalization the checkpoint records
        [--input CxHxW] [--workers N] [--bad-images fail|skip]   --dataset folder --data-dir DIR: as for train
        """
    static let spec = Arguments.Spec(options: Set(["model", "weights", "dataset", "data-dir", "split", "limit"] + normalizationKeys
                                                  + SavedWeights.dataKeys))

    /// The options that override a checkpoint's recorded input normalization.
    static let normalizationKeys = ["normalization", "mean", "std"]

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try launch.requireSingleProcess(name)
        try evaluate(arguments, predict: false)
    }

    /// Evaluates saved weights on a split; with `predict`, also writes the logits and labels (`--out`).
    static func evaluate(_ arguments: Arguments, predict: Bool) throws {
        let splitName = arguments.options["split"] ?? "test"
        guard let split = Split(rawValue: splitName) else { throw CLIError.usage("--split must be train or test, got '\(splitName)'") }
        let weights = try SavedWeights(arguments, command: predict ? "predict" : "eval", limits: [split: nil])
        let (name, kind, dataset, normalization) = (weights.modelName, weights.kind, try weights.dataset(split), weights.normalization)
        let result = try Evaluation.run(weights.model, on: try weights.loader(split), keepLogits: predict)
        if let failure = TrainingSettings.decodeFailure(in: [dataset]) { throw failure }
        if let note = TrainingSettings.decodeNote(in: [dataset]) { Console.say(note) }
        if predict {
            guard let out = arguments.options["out"] else { throw CLIError.usage("predict needs --out FILE.safetensors") }
            let file = SafeTensors(tensors: ["logits": try HostTensor(result.logits, shape: [result.labels.count, dataset.classes]),
                                             "labels": try HostTensor(result.labels.map(Int64.init), shape: [result.labels.count])],
                                   metadata: normalization.metadata.merging(["model": name, "dataset": kind.rawValue,
                                                                             "split": splitName]) { $1 })
            try file.write(to: URL(fileURLWithPath: out))
            print("wrote \(result.labels.count) × \(dataset.classes) logits and labels of \(kind.rawValue) \(splitName) to \(out)")
        }
        print(String(format: "%@ on %@ %@ (%d images): top-1 %.2f%%  top-5 %.2f%%  loss %.4f", name, kind.rawValue, splitName,
                     result.labels.count, result.top1 * 100, result.top5 * 100, result.loss))
    }

    /// The normalization to evaluate with and where it comes from: the flags when given, else the
    /// one the checkpoint records, else the dataset's default.
    static func inputNormalization(_ arguments: Arguments, settings: TrainingSettings,
                                   recorded: Normalization?) throws(CLIError) -> (Normalization, String) {
        var settings = settings
        let kind = try settings.datasetKind(), channels = try settings.channels()
        let given = normalizationKeys.filter { arguments.options[$0] != nil }
        for key in given { try settings.set(SettingText(key: key, text: arguments.options[key]!)) }
        if settings.measuresNormalization {
            throw .usage("--normalization dataset measures a folder's training images when a run starts; to evaluate, use the "
                         + "normalization the checkpoint records (the default) or give --mean and --std")
        }
        if !given.isEmpty {
            let normalization = try settings.normalization()
            let note = recorded.map { $0 == normalization ? "" : "; the checkpoint records \($0.summary)" } ?? ""
            return (normalization, "from " + given.map { "--\($0)" }.joined(separator: " ") + note)
        }
        if let recorded {
            guard recorded.mean.count == channels else {
                throw .usage("the checkpoint records a normalization of \(recorded.mean.count) channels, but \(kind.rawValue) has "
                             + "\(channels); check --dataset" + (kind == .folder ? " and --input" : "") + ", or give --mean and --std")
            }
            return (recorded, "recorded in the checkpoint")
        }
        return (try settings.normalization(), "the \(kind.rawValue) default (the checkpoint records none)")
    }
}
