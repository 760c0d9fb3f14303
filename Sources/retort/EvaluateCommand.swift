import Foundation
import RetortDistill

/// `retort eval` (top-1, top-5 and loss of saved weights) and `retort predict` (a split's logits
/// and labels to a safetensors file).
enum EvaluateCommand: RegisteredCommand {
    static let name = "eval"
    static let order = 90
    static let summary = "top-1, top-5 and loss of saved weights"
    static let usage = "--model NAME --weights FILE --dataset NAME [--data-dir DIR] [--split test|train]"
    static let spec = Arguments.Spec(options: ["model", "weights", "dataset", "data-dir", "split", "limit"])

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try launch.requireSingleProcess(name)
        try evaluate(arguments, predict: false)
    }

    /// Evaluates saved weights on a split; with `predict`, also writes the logits and labels (`--out`).
    static func evaluate(_ arguments: Arguments, predict: Bool) throws {
        guard let name = arguments.options["model"], let weights = arguments.options["weights"] else {
            throw CLIError.usage("\(predict ? "predict" : "eval") needs --model NAME and --weights FILE.safetensors")
        }
        let kind = try DatasetKind(name: arguments.options["dataset"] ?? "fashion-mnist")
        let splitName = arguments.options["split"] ?? "test"
        guard let split = Split(rawValue: splitName) else { throw CLIError.usage("--split must be train or test, got '\(splitName)'") }
        let limit = try arguments.options["limit"].map { text throws(CLIError) -> Int in
            guard let value = Int(text), value > 0 else { throw .usage("--limit must be a positive integer, got '\(text)'") }
            return value
        }
        let dataset = try Dataset.load(kind, split: split, directory: arguments.options["data-dir"], limit: limit)
        let loader = try DataLoader(dataset: dataset, batchSize: 500, mode: .test, seed: 0)
        let context = try Context()
        let model = try ModelZoo.make(name, inputChannels: dataset.channels, inputSize: dataset.height, classes: dataset.classes, context: context)
        let url = URL(fileURLWithPath: weights)
        try model.load(stateDict: SafeTensors(contentsOf: url), source: url.path)
        let result = try Evaluation.run(model, on: loader, keepLogits: predict)
        if predict {
            guard let out = arguments.options["out"] else { throw CLIError.usage("predict needs --out FILE.safetensors") }
            let file = SafeTensors(tensors: ["logits": try HostTensor(result.logits, shape: [result.labels.count, dataset.classes]),
                                             "labels": try HostTensor(result.labels.map(Int64.init), shape: [result.labels.count])],
                                   metadata: ["model": name, "dataset": kind.rawValue, "split": splitName])
            try file.write(to: URL(fileURLWithPath: out))
            print("wrote \(result.labels.count) × \(dataset.classes) logits and labels of \(kind.rawValue) \(splitName) to \(out)")
        }
        print(String(format: "%@ on %@ %@ (%d images): top-1 %.2f%%  top-5 %.2f%%  loss %.4f", name, kind.rawValue, splitName,
                     result.labels.count, result.top1 * 100, result.top5 * 100, result.loss))
    }
}
