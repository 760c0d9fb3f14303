import Foundation
import RetortDistill

/// A zoo model with saved weights and the images to look at it with, as the `retort inspect`
/// pictures load them: `--model`, `--weights`, `--dataset` (default fashion-mnist), `--data-dir`,
/// and the input normalization the checkpoint records unless `--normalization`/`--mean`/`--std`
/// say otherwise (``EvaluateCommand/inputNormalization(_:kind:recorded:)``, as `retort eval`).
struct InspectedModel {
    /// The options every picture of saved weights takes.
    static let options = Set(["model", "weights", "dataset", "data-dir", "limit"] + EvaluateCommand.normalizationKeys)

    let name: String
    let model: any Classifier
    let kind: DatasetKind
    /// The splits asked for, normalized as the model's inputs.
    let datasets: [Split: Dataset]

    /// Loads the first `limits[split]` images of each split (`--limit` replaces every default), then
    /// the model and its weights (a file of another model is refused, naming each mismatched key).
    init(_ arguments: Arguments, picture: String, limits: [Split: Int]) throws {
        guard let name = arguments.options["model"], let weights = arguments.options["weights"] else {
            throw CLIError.usage("inspect \(picture) needs --model NAME and --weights FILE.safetensors")
        }
        let kind = try DatasetKind(name: arguments.options["dataset"] ?? "fashion-mnist")
        let url = URL(fileURLWithPath: weights)
        let state = try SafeTensors(contentsOf: url)
        let (normalization, origin) = try EvaluateCommand.inputNormalization(arguments, kind: kind,
                                                                             recorded: Normalization(metadata: state.metadata))
        Console.say("normalization: \(normalization.summary), \(origin)")
        var datasets: [Split: Dataset] = [:]
        for (split, count) in limits {
            let limit = try arguments.integer("limit", default: count, range: 1...10_000_000)
            var dataset = try Dataset.load(kind, split: split, directory: arguments.options["data-dir"], limit: limit)
            dataset.normalization = normalization
            datasets[split] = dataset
        }
        guard let sample = datasets.values.first else { throw CLIError.failed("inspect \(picture) reads no images") }
        model = try ModelZoo.make(name, inputChannels: sample.channels, inputSize: sample.height, classes: sample.classes,
                                  context: Context())
        try model.load(stateDict: state, source: url.path)
        (self.name, self.kind, self.datasets) = (name, kind, datasets)
    }

    /// The images of `split` in order, in batches for evaluation.
    func loader(_ split: Split) throws -> DataLoader {
        guard let dataset = datasets[split] else { throw CLIError.failed("the \(split.rawValue) split was not loaded") }
        return try DataLoader(dataset: dataset, batchSize: 500, mode: .test, seed: 0)
    }

    /// Writes `svg` atomically to `--out`, or to `fallback` in the current folder, and says where.
    static func write(_ svg: String, _ arguments: Arguments, fallback: String) throws {
        let url = URL(fileURLWithPath: arguments.options["out"] ?? fallback)
        try AtomicFile.write(svg, to: url)
        Console.say("wrote \(url.path)")
    }
}
