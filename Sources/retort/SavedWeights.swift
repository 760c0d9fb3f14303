import Foundation
import RetortCheckpoint
import RetortDistill

/// Saved weights ready to evaluate (`eval`, `predict`, the `inspect` pictures): the zoo model with the
/// weights loaded (a file of another model is refused, naming each mismatched key), and the splits
/// asked for, normalized as the checkpoint records unless `--normalization`/`--mean`/`--std` say
/// otherwise (``EvaluateCommand/inputNormalization(_:settings:recorded:)``).
struct SavedWeights {
    /// The options every command of saved weights takes.
    static let options = Set(["model", "weights", "dataset", "data-dir", "limit"] + EvaluateCommand.normalizationKeys + dataKeys)
    /// The options of a folder dataset's files: sample shape, loader threads, unreadable files.
    static let dataKeys = ["input", "workers", "bad-images"]

    var modelName: String
    var model: any Classifier
    var kind: DatasetKind
    var normalization: Normalization
    /// `--workers`: threads preparing each batch (default: the number of cores).
    var workers: Int?
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
        var settings = TrainingSettings()
        settings.dataset = kind.rawValue
        settings.dataDirectory = arguments.options["data-dir"]
        for key in Self.dataKeys where arguments.options[key] != nil {
            try settings.set(SettingText(key: key, text: arguments.options[key]!))
        }
        workers = settings.workers
        let url = URL(fileURLWithPath: weights)
        let state = try SafeTensors(contentsOf: url)
        let (normalization, origin) = try EvaluateCommand.inputNormalization(arguments, settings: settings,
                                                                             recorded: Normalization(metadata: state.metadata))
        self.normalization = normalization
        Console.say("normalization: \(normalization.summary), \(origin)")
        datasets = [:]
        for (split, count) in limits {
            let limit = arguments.options["limit"] == nil && count == nil ? nil
                : try arguments.integer("limit", default: count ?? 0, range: 1...10_000_000)
            var dataset = try settings.dataset(split, limit: limit, say: Console.say)
            dataset.normalization = normalization
            try Self.checkClassNames(recorded: state.metadata[Normalization.classesKey], dataset: dataset, weights: url.path)
            datasets[split] = dataset
        }
        guard let sample = datasets.values.first else { throw CLIError.failed("\(command) reads no images") }
        model = try ModelZoo.make(name, inputChannels: sample.channels, inputSize: sample.height, classes: sample.classes,
                                  context: Context())
        try model.load(stateDict: state, source: url.path)
        modelName = name
    }

    /// Throws when the checkpoint records class names (a folder dataset's) that differ from `dataset`'s:
    /// the labels would mean other classes.
    static func checkClassNames(recorded: String?, dataset: Dataset, weights: String) throws {
        guard let recorded, let names = dataset.classNames else { return }
        let trained = recorded.split(separator: "\n").map(String.init)
        guard trained != names else { return }
        let first = zip(trained, names).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(trained.count, names.count)
        throw CLIError.failed("\(weights) was trained on \(trained.count) classes, this folder has \(names.count), and they differ at "
                              + "label \(first) (\(first < trained.count ? trained[first] : "none") vs "
                              + "\(first < names.count ? names[first] : "none")); "
                              + "evaluate on a folder with the same class folders")
    }

    /// The loaded split `split`.
    func dataset(_ split: Split) throws -> Dataset {
        guard let dataset = datasets[split] else { throw CLIError.failed("the \(split.rawValue) split was not loaded") }
        return dataset
    }

    /// The images of `split` in order, in batches of 500 for evaluation.
    func loader(_ split: Split) throws -> DataLoader {
        try DataLoader(dataset: dataset(split), batchSize: 500, mode: .test, seed: 0, workers: workers)
    }

    /// Writes a picture atomically to `--out`, or to `fallback` in the current folder, and says where.
    static func write(_ svg: String, _ arguments: Arguments, fallback: String) throws -> URL {
        let url = URL(fileURLWithPath: arguments.options["out"] ?? fallback)
        try AtomicFile.write(svg, to: url)
        return url
    }
}
