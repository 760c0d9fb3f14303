import Foundation
import RetortDistill

/// Saved weights ready to evaluate (`eval`, `predict`, `inspect`): the zoo model with the weights
/// loaded, and a split of its dataset normalized as the checkpoint records (or as the flags say).
struct SavedWeights {
    var modelName: String
    var model: any Classifier
    var kind: DatasetKind
    var dataset: Dataset
    var normalization: Normalization
    /// The split in batches of 500, in order.
    var loader: DataLoader

    /// Loads `--model NAME --weights FILE` on `split` of `--dataset` (`--data-dir`, `--limit`, and the
    /// normalization flags), printing where the normalization comes from. `command` names the
    /// command in errors.
    init(_ arguments: Arguments, command: String, split: Split) throws {
        guard let name = arguments.options["model"], let weights = arguments.options["weights"] else {
            throw CLIError.usage("\(command) needs --model NAME and --weights FILE.safetensors")
        }
        kind = try DatasetKind(name: arguments.options["dataset"] ?? "fashion-mnist")
        let limit = try arguments.options["limit"].map { text throws(CLIError) -> Int in
            guard let value = Int(text), value > 0 else { throw .usage("--limit must be a positive integer, got '\(text)'") }
            return value
        }
        dataset = try Dataset.load(kind, split: split, directory: arguments.options["data-dir"], limit: limit)
        let url = URL(fileURLWithPath: weights)
        let state = try SafeTensors(contentsOf: url)
        let (normalization, origin) = try EvaluateCommand.inputNormalization(arguments, kind: kind,
                                                                             recorded: Normalization(metadata: state.metadata))
        self.normalization = normalization
        dataset.normalization = normalization
        print("normalization: \(normalization.summary), \(origin)")
        loader = try DataLoader(dataset: dataset, batchSize: 500, mode: .test, seed: 0)
        let context = try Context()
        model = try ModelZoo.make(name, inputChannels: dataset.channels, inputSize: dataset.height, classes: dataset.classes,
                                  context: context)
        try model.load(stateDict: state, source: url.path)
        modelName = name
    }
}
