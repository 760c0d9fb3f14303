import Foundation
import RetortDistill

/// `retort prune`: prunes a trained teacher and fine-tunes it with the masks held, into an output
/// folder whose `best.safetensors` (a plain PyTorch-named state dict with the zeros in place, masks
/// beside it in `best.masks.safetensors`) is a teacher for `retort distill --teacher-weights`.
///
/// - `--method prue|magnitude|random`: one-shot global unstructured pruning of the Conv2d weights to
///   `--sparsity` (PrUE, §4.17), then one fine-tuning run in `DIR/finetune/`.
/// - `--method iterative`: prune-then-distill's iterative global magnitude pruning of the Conv2d and
///   Linear weights (§4.18): each round prunes `--rate` of the weights still kept, then fine-tunes
///   from that round's weights with the schedule restarted at the base learning rate (learning-rate
///   rewinding), in `DIR/round-<k>/`. Each round starts from the previous round's last weights (the
///   reference prunes the model as its fine-tuning left it); the pruned teacher is the final
///   round's best.
///
/// `--resume DIR` continues a killed or stopped prune at the round and the step: each pruning
/// saves its masks in the stage's folder (`pruned.masks.safetensors`) before fine-tuning starts, so
/// a finished pruning is read back instead of being done again (no re-scoring); a finished
/// fine-tuning (its `last.masks.safetensors` written) is kept, and an unfinished one continues from
/// its `last` checkpoint with the masks held. The result equals the uninterrupted run's bit for bit.
enum PruneCommand: RegisteredCommand {
    static let name = "prune"
    static let order = 70
    static let summary = """
        prune a trained teacher (global, unstructured) and fine-tune it with the masks held;
        DIR/best.safetensors (zeros in place; masks in best.masks.safetensors) is a
        teacher for distill --teacher-weights; before/after table in DIR/pruning.md|json
        """
    static let usage = """
        --model NAME --weights FILE (the dense teacher) --out DIR, and the training
        options of train for fine-tuning (--epochs --lr --schedule --batch-size --seed …)
        --method prue|magnitude|random --sparsity 0.5   one shot over the Conv2d weights
          (prue: prediction-uncertainty scores, PrUE), fine-tuned in DIR/finetune
        --method iterative --rate 0.2 --rounds N   prune 20% of the remaining Conv2d AND
          Linear weights by |w| per round (prune-then-distill), each round fine-tuned
          with the schedule restarted (LR rewinding) in DIR/round-<k>; --sparsity S
          instead of --rounds picks the rounds whose 1 − 0.8^k is closest to S
        [--force]   DIR holds a previous prune: start over (removes its files)
        --resume DIR   continue a killed or stopped prune at its round and step
        """
    static var spec: Arguments.Spec { .settings(PruneConfiguration.keys, flags: ["nesterov", "force"], extra: ["config", "resume"]) }

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try launch.requireSingleProcess("prune")
        let say = Console.say
        let source = try RunFolder(arguments)
        let configuration = try PruneConfiguration.resolve(file: source.file, flags: arguments.options, switches: arguments.flags)
        let out = try source.claim(configuration.out ?? "runs/\(configuration.defaultRunName)", for: arguments,
                                   inputs: [configuration.weights ?? ""])
        let resumes = source.resumed != nil
        if resumes { try Checkpoint.recover(in: out) }
        let method = configuration.pruningMethod
        let dense = URL(fileURLWithPath: configuration.weights ?? "")
        let context = try launch.makeContext()

        let (trainLoader, testLoader) = try TrainingJob.loaders(configuration.training)
        let train = trainLoader.dataset
        let model = try ModelZoo.make(configuration.model, inputChannels: train.channels, inputSize: train.height, classes: train.classes,
                                      context: context, seed: UInt64(configuration.seed))
        try model.load(stateDict: SafeTensors(contentsOf: dense), source: dense.path)
        try RunFolder.writeSettings(configuration.json, to: out)

        let layers: PrunableLayers = method == .iterative ? .convolutionsAndLinear : .convolutions
        var masks = PruningMasks(ones: model, layers: layers)
        var report = PruningReport(model: configuration.model, method: method.rawValue, denseWeights: dense.path, layers: layers)
        func record(_ stage: PruningReport.Stage, masks: PruningMasks? = nil) {
            var stage = stage
            stage.masks = masks?.layers
            report.stages.append(stage)
            say(String(format: "%@: test top-1 %.2f%%, sparsity %.2f%% of Conv2d weights, %.2f%% of Conv2d and Linear weights, "
                       + "%.2f%% of all parameters, predictive entropy %.4f", stage.name, stage.top1 * 100, stage.convolutionSparsity * 100,
                       stage.weightSparsity * 100, stage.parameterSparsity * 100, stage.entropy))
        }
        say("\(configuration.model) (\(dense.path)): pruning \(masks.totalCount.formatted(.number)) "
            + "\(layers == .convolutions ? "Conv2d" : "Conv2d and Linear") weights in \(masks.names.count) tensors, \(method.rawValue)")
        record(try PruningReport.measure("dense", model, on: testLoader))

        var final: URL
        if method == .iterative {
            let rounds = configuration.rounds ?? 1, rate = configuration.rate ?? 0.2
            var start = dense
            final = dense
            for round in 1...rounds {
                if round > 1 { try model.load(stateDict: SafeTensors(contentsOf: start), source: start.path) }
                let folder = out.appendingPathComponent("round-\(round)"), previous = masks
                masks = try prunedMasks(in: folder, for: model, resumes: resumes) {
                    (try previous.pruning(rate: rate, scores: previous.magnitudeScores(of: model)), nil)
                }.masks
                try masks.apply(to: model)
                say(String(format: "round %d/%d: pruned %.0f%% of the remaining weights by |w|; %.2f%% pruned now", round, rounds, rate * 100,
                           masks.sparsity * 100))
                record(try PruningReport.measure("round \(round): pruned", model, on: testLoader), masks: masks)
                let outcome = try fineTune(configuration, masks: masks, from: start, into: folder, of: out, resumes: resumes,
                                           context: context)
                start = outcome.run.appendingPathComponent("last.safetensors")
                final = outcome.bestWeights
                try model.load(stateDict: SafeTensors(contentsOf: final), source: final.path)
                record(try PruningReport.measure("round \(round): fine-tuned", model, on: testLoader, run: outcome.run))
            }
        } else {
            let sparsity = configuration.sparsity ?? 0.5
            let folder = out.appendingPathComponent("finetune"), unpruned = masks
            let pruned = try prunedMasks(in: folder, for: model, resumes: resumes) {
                switch method {
                case .magnitude: return (try unpruned.pruning(sparsity: sparsity, scores: unpruned.magnitudeScores(of: model)), nil)
                case .random:
                    return (try unpruned.pruning(sparsity: sparsity, scores: unpruned.randomScores(seed: UInt64(configuration.seed))), nil)
                default:
                    // PrUE's scoring loader: the training set sorted by label, unshuffled, augmented, batch 500.
                    let sorted = try DataLoader(dataset: train.sortedByLabel(), batchSize: 500, mode: trainLoader.mode, shuffle: false,
                                                seed: UInt64(configuration.seed))
                    let means = try PredictionUncertainty.classMeanProbabilities(of: model, on: sorted, classes: train.classes)
                    let result = try PredictionUncertainty.scores(of: model, masks: unpruned, on: sorted, classMeans: means)
                    say("PrUE: class-mean target probabilities " + means.map { String(format: "%.3f", $0) }.joined(separator: " ")
                        + String(format: "; objective Σ|p̄ − p| %.4f over %d images", result.objective, train.count))
                    return (try unpruned.pruning(sparsity: sparsity, scores: result.values), result.objective)
                }
            }
            masks = pruned.masks
            report.prueObjective = pruned.prueObjective
            try masks.apply(to: model)
            record(try PruningReport.measure("pruned", model, on: testLoader), masks: masks)
            let outcome = try fineTune(configuration, masks: masks, from: dense, into: folder, of: out, resumes: resumes, context: context)
            final = outcome.bestWeights
            try model.load(stateDict: SafeTensors(contentsOf: final), source: final.path)
            record(try PruningReport.measure("fine-tuned", model, on: testLoader, run: outcome.run))
        }

        // The pruned teacher: the final weights with the masks re-applied (a no-op when they held).
        try masks.apply(to: model)
        let teacher = out.appendingPathComponent("best.safetensors")
        var state = try model.stateDict()
        // The source inside DIR as a relative path: the folder moves (and resumes) as a whole.
        let finalInRun = final.standardizedFileURL.path.hasPrefix(out.standardizedFileURL.path + "/")
            ? String(final.standardizedFileURL.path.dropFirst(out.standardizedFileURL.path.count + 1)) : final.path
        state.metadata = ["format": "pt", "pruning": method.rawValue, "sparsity": "\(masks.sparsity)", "source": finalInRun]
        try state.write(to: teacher)
        try masks.write(to: PruningMasks.sidecarURL(for: teacher))
        report.finalLayers = masks.layers
        try report.write(to: out)
        say("\n" + report.table)
        say(String(format: "pruned teacher: %@ (%.2f%% of the %@ weights pruned; masks in %@); report in %@", teacher.path, masks.sparsity * 100,
                   layers == .convolutions ? "Conv2d" : "Conv2d and Linear", PruningMasks.sidecarURL(for: teacher).lastPathComponent,
                   out.appendingPathComponent("pruning.md").path))
        RunReportWriter.writeOrWarn(folder: out)
    }

    /// The file in a stage's folder that holds the masks its pruning gave.
    static let prunedMasksName = "pruned.masks.safetensors"

    /// The masks of a stage's pruning: read back from `folder` when resuming a prune that finished
    /// this pruning, else made by `prune` (with PrUE's objective, if any) and saved there, before
    /// the stage's fine-tuning starts.
    static func prunedMasks(in folder: URL, for model: any Classifier, resumes: Bool,
                            prune: () throws -> (masks: PruningMasks, prueObjective: Double?)) throws
        -> (masks: PruningMasks, prueObjective: Double?) {
        let url = folder.appendingPathComponent(prunedMasksName)
        if resumes, FileManager.default.fileExists(atPath: folder.path) {
            try Checkpoint.recover(in: folder)
            if FileManager.default.fileExists(atPath: url.path) {
                Console.say("\(folder.lastPathComponent): kept the masks of the previous run's pruning (\(prunedMasksName))")
                return (try PruningMasks(contentsOf: url, for: model),
                        try SafeTensors(contentsOf: url).metadata["prue_objective"].flatMap(Double.init))
            }
        }
        let made = try prune()
        var file = try made.masks.safeTensors()
        if let objective = made.prueObjective { file.metadata["prue_objective"] = "\(objective)" }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try file.write(to: url)
        return made
    }

    /// Fine-tunes from `start` with `masks` held (applied to the loaded weights, and by a
    /// ``MaskedOptimizer`` around the SGD of the recipe), with a fresh optimizer and the schedule
    /// from the base learning rate, into `run` (a stage of the prune in `out`); writes the masks
    /// beside its best and last weights. Resuming, a finished fine-tuning (its `last` masks written)
    /// is kept, and an unfinished one continues from its `last` checkpoint.
    static func fineTune(_ configuration: PruneConfiguration, masks: PruningMasks, from start: URL, into run: URL, of out: URL,
                         resumes: Bool, context: Context) throws -> TrainingJob.Outcome {
        let finished = PruningMasks.sidecarURL(for: run.appendingPathComponent("last.safetensors"))
        if resumes, FileManager.default.fileExists(atPath: finished.path) {
            Console.say("\(run.lastPathComponent): finished fine-tuning found, kept")
            return TrainingJob.Outcome(history: [], run: run, parameterCount: 0, seconds: 0, interrupted: false)
        }
        var settings = TrainConfiguration()
        settings.training = configuration.training
        settings.out = run.path
        var job = TrainingJob(configuration: settings, run: run)
        job.resumes = resumes
        job.continuation = "retort prune --resume \(out.path)"
        let prepared = PreparedModel()
        job.prepareModel = { model in
            try model.load(stateDict: SafeTensors(contentsOf: start), source: start.path)
            try masks.apply(to: model)
            prepared.model = model
        }
        job.wrapOptimizer = { sgd in
            guard let model = prepared.model else { throw CLIError.failed("internal: the fine-tuning model was not prepared") }
            return try MaskedOptimizer(wrapping: sgd, masks: masks, model: model)
        }
        let outcome = try job.execute(context: context)
        if outcome.interrupted {
            throw CLIError.failed("stopped during fine-tuning in \(run.path); continue with `retort prune --resume \(out.path)`")
        }
        for name in ["best.safetensors", "last.safetensors"] {
            try masks.write(to: PruningMasks.sidecarURL(for: run.appendingPathComponent(name)))
        }
        return outcome
    }

    /// The model a fine-tuning job builds, handed from `prepareModel` to `wrapOptimizer`.
    private final class PreparedModel {
        var model: (any Classifier)?
    }
}
