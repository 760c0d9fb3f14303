import Foundation
import RetortCheckpoint
import RetortDistill

/// Saved weights ready to evaluate (`eval`, `predict`, the `inspect` pictures): the zoo model with the
/// weights loaded (a file of another model is refused, naming each mismatched key), and the splits
/// asked for, normalized as the checkpoint records unless `--normalization`/`--mean`/`--std` say
/// otherwise (``EvaluateCommand/inputNormalization(_:kind:recorded:)``).
struct SavedWeights {
    /// The options every command of saved weights takes.
    static let options = Set(["model", "weights", "dataset", "data-dir", "limit"] + EvaluateCommand.normalizationKeys)

    var modelName: String
    var model: any Classifier
    var kind: DatasetKind
    var normalization: Normalization
    /// The splits asked for, normalized as the model's inputs.
    var datasets: [Split: Dataset]

    /// Loads `--model NAME --weights FILE`, then the first `limits[split]` images of each split of
    /// `--dataset` (default fashion-mnist; nil: all of them; `--limit` replaces every default), and
    /// prints where the normalization comes from. `command` names the command in errors.
    init(_ arguments: Arguments, command: String, limits: [Split: Int?]) throws {
        guard let name = arguments.options["model"], let weights = arguments.options["weights"] else {
            throw CLIError.usage("\(command) needs --model NAME and --weights FILE.safetensors")
        }
        kind = try DatasetKind(name: arguments.options["dataset"] ?? "fashion-mnist")
        let url = URL(fileURLWithPath: weights)
        let state = try SafeTensors(contentsOf: url)
        let (normalization, origin) = try EvaluateCommand.inputNormalization(arguments, kind: kind,
                                                                             recorded: Normalization(metadata: state.metadata))
        self.normalization = normalization
        Console.say("normalization: \(normalization.summary), \(origin)")
        datasets = [:]
        for (split, count) in limits {
            let limit = arguments.options["limit"] == nil && count == nil ? nil
                : try arguments.integer("limit", default: count ?? 0, range: 1...10_000_000)
            var dataset = try Dataset.load(kind, split: split, directory: arguments.options["data-dir"], limit: limit)
            dataset.normalization = normalization
            datasets[split] = dataset
        }
        guard let sample = datasets.values.first else { throw CLIError.failed("\(command) reads no images") }
        model = try ModelZoo.make(name, inputChannels: sample.channels, inputSize: sample.height, classes: sample.classes,
                                  context: Context())
        try model.load(stateDict: state, source: url.path)
        modelName = name
    }

    /// The loaded split `split`.
    func dataset(_ split: Split) throws -> Dataset {
        guard let dataset = datasets[split] else { throw CLIError.failed("the \(split.rawValue) split was not loaded") }
        return dataset
    }

    /// The images of `split` in order, in batches of 500 for evaluation.
    func loader(_ split: Split) throws -> DataLoader {
        try DataLoader(dataset: dataset(split), batchSize: 500, mode: .test, seed: 0)
    }

    /// Writes a picture atomically to `--out`, or to `fallback` in the current folder, and says where.
    static func write(_ svg: String, _ arguments: Arguments, fallback: String) throws -> URL {
        let url = URL(fileURLWithPath: arguments.options["out"] ?? fallback)
        try AtomicFile.write(svg, to: url)
        return url
    }
}
