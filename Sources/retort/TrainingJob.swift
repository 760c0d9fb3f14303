import Foundation
import RetortDistill

/// The settings a ``TrainingJob`` runs: those of `train`, `distill` and `selfdistill`.
protocol TrainingJobConfiguration: CommandConfiguration {
    /// The teachers' zoo names.
    var teacherNames: [String] { get }
    /// One weights file per teacher.
    var teacherWeights: [String] { get }
    /// The distillation method and its options; nil for training on the labels alone.
    var distillation: DistillationSettings? { get }
}

/// One training run from resolved settings, into a run folder: what `train`, `distill` and
/// `selfdistill` run, and what `chain`, `sweep-teachers` and `prune` run for each of their stages.
struct TrainingJob {
    var configuration: any TrainingJobConfiguration
    var run: URL
    /// Continue from the run folder's `last` checkpoint.
    var resumes = false
    /// Called with the freshly built model before training (prune: loads the dense weights and
    /// applies the masks).
    var prepareModel: ((any Classifier) throws -> Void)?
    /// Wraps the SGD optimizer (prune: holds the masks through every step).
    var wrapOptimizer: ((SGDOptimizer) throws -> any Optimizer)?
    /// The command that continues this job after Ctrl-C, when it is a stage of another command's
    /// run (prune); nil: `retort <command> --resume <run>`.
    var continuation: String?
    /// Trains data-parallel over the ranks of an `mpirun` job; nil in a plain process.
    var dataParallel: DataParallel?
    /// Whether this process writes the run folder and the console (rank 0, or alone).
    var writes: Bool { dataParallel?.isMain ?? true }

    /// What a finished job reports.
    struct Outcome {
        var history: [EpochMetrics]
        var run: URL
        var parameterCount: Int
        /// Wall time of the whole job (data, model, training, evaluation).
        var seconds: Double
        /// Stopped early by Ctrl-C (`last` is saved).
        var interrupted: Bool
        var best: EpochMetrics? { history.max(by: { $0.testTop1 < $1.testTop1 }) }
        var bestWeights: URL { run.appendingPathComponent("best.safetensors") }
    }

    /// Runs `train`, `distill` or `selfdistill` from the command line: settings from `--config` or
    /// the run folder of `--resume`, then the flags.
    static func run<Configuration: TrainingJobConfiguration>(_ type: Configuration.Type, _ arguments: Arguments, launch: Launch) throws {
        let source = try RunFolder(arguments)
        let configuration = try Configuration.resolve(file: source.file, flags: arguments.options, switches: arguments.flags)
        let dataParallel = launch.makeDataParallel()
        try Self.checkBatchSize(configuration.training.batchSize, dataParallel)
        if let dataParallel {
            // Every rank must train the same job: compare the resolved settings with rank 0's first.
            let json = try JSONSerialization.data(withJSONObject: configuration.json, options: [.prettyPrinted, .sortedKeys])
            let text = String(decoding: json, as: UTF8.self)
            try dataParallel.checkSameSettings(text)
        }
        let path = configuration.out ?? "runs/\(configuration.defaultRunName)"
        // Rank 0 alone claims and writes the run folder; the others never touch it.
        let run = launch.isMain ? try source.claim(path, for: arguments, inputs: configuration.teacherWeights) : URL(fileURLWithPath: path)
        try dataParallel?.group.barrier()
        let context = try launch.makeContext()
        var job = TrainingJob(configuration: configuration, run: run)
        job.resumes = source.resumed != nil
        job.dataParallel = dataParallel
        try job.execute(context: context)
    }

    /// Refuses `--sync-bn` when an epoch's last, partial batch leaves a rank without rows: that rank
    /// would skip the step's batch norms, which every rank must run together.
    static func checkLastBatch(_ settings: TrainingSettings, images: Int, ranks: Int) throws {
        guard settings.synchronizesBatchNorms, ranks > 1 else { return }
        let last = images % settings.batchSize
        guard last > 0, last < ranks else { return }
        throw CLIError.usage("--sync-bn: the last batch of each epoch holds \(last) of the \(images) training images, fewer than the "
                             + "\(ranks) ranks, and every rank needs a row for the synchronized batch norms; change --limit or "
                             + "--batch-size so that \(images) % batch size is 0 or at least \(ranks)")
    }

    /// The training and test loaders of `configuration` (the recipe's augmentation,
    /// ``TrainingSettings/augmentation(for:)``), preparing samples on `--workers` threads.
    static func loaders(_ configuration: TrainingSettings) throws -> (train: DataLoader, test: DataLoader) {
        let (train, test) = try configuration.datasets(say: Console.say)
        let augmentation = try configuration.augmentation(for: train)
        let seed = UInt64(configuration.seed)
        return (try DataLoader(dataset: train, batchSize: configuration.batchSize, mode: .train(augmentation), seed: seed,
                               workers: configuration.workers),
                try DataLoader(dataset: test, batchSize: 500, mode: .test, seed: 0, workers: configuration.workers))
    }

    /// A frozen teacher in evaluation mode from a zoo name and a weights file.
    static func loadTeacher(_ name: String, weights: String, like dataset: Dataset, context: Context) throws -> any Classifier {
        let teacher = try ModelZoo.make(name, inputChannels: dataset.channels, inputSize: dataset.height, classes: dataset.classes, context: context)
        let url = URL(fileURLWithPath: weights)
        try teacher.load(stateDict: SafeTensors(contentsOf: url), source: url.path)
        try teacher.freeze()
        teacher.eval()
        return teacher
    }

    /// Throws unless the global batch divides evenly over the ranks.
    static func checkBatchSize(_ batchSize: Int, _ dataParallel: DataParallel?) throws {
        guard let group = dataParallel?.group, batchSize % group.size != 0 else { return }
        throw CLIError.usage("--batch-size \(batchSize) does not divide evenly over \(group.size) ranks: the batch size is the "
                             + "global batch, split over the ranks; give a multiple of \(group.size)")
    }

    @discardableResult
    func execute(context: Context) throws -> Outcome {
        let started = Date()
        let say = Console.say
        let settings = configuration.training
        try Self.checkBatchSize(settings.batchSize, dataParallel)
        let (trainLoader, testLoader) = try Self.loaders(settings)
        let train = trainLoader.dataset, test = testLoader.dataset
        if let group = dataParallel?.group { try Self.checkLastBatch(settings, images: train.count, ranks: group.size) }
        let model = try ModelZoo.make(settings.model, inputChannels: train.channels, inputSize: train.height, classes: train.classes,
                                      context: context, seed: UInt64(settings.seed))
        try prepareModel?(model)
        if settings.synchronizesBatchNorms, settings.ghostBatches > 1 {
            throw CLIError.usage("--sync-bn and --ghost-batches do not combine: ghost batches reproduce per-rank batch statistics, "
                                 + "--sync-bn replaces them by the global batch's; choose one")
        }
        if settings.synchronizesBatchNorms, let group = dataParallel?.group, group.size > 1 {
            let norms = model.synchronizeBatchNorms(over: group)
            say("--sync-bn: \(norms) batch norms normalize over the global batch of \(group.size) ranks")
        }
        var teachers: [any Classifier] = []
        var objective: any DistillationLoss = CrossEntropyLoss(labelSmoothing: Float(settings.labelSmoothing))
        var mixUp: MixUp?
        var teacherEntropies: [Double] = []
        var teacherRecords: [RunRecord.Teacher] = []
        if let distillation = configuration.distillation {
            let methodName = distillation.method ?? DistillationMethod.kd.name
            if let train = configuration as? TrainConfiguration, let teacherName = train.teacherModel {
                say("distilling from \(teacherName) (\(train.teacherWeights[0])) with --loss \(methodName)")
            }
            teachers = try zip(configuration.teacherNames, configuration.teacherWeights).map { name, weights in
                let provenance = try TeacherProvenance(weights: weights)
                if let warning = provenance.labelSmoothingWarning { say(warning) }
                let adapted = try provenance.adapted(try Self.loadTeacher(name, weights: weights, like: train, context: context),
                                                     studentNormalization: train.normalization, context: context)
                if let note = adapted.note { say(note) }
                return adapted.teacher
            }
            let evaluations = try teachers.map { try Evaluation.run($0, on: testLoader, keepLogits: true) }
            teacherEntropies = evaluations.map { meanPredictiveEntropy(logits: $0.logits, classes: test.classes) }
            teacherRecords = zip(zip(configuration.teacherNames, configuration.teacherWeights), evaluations).map {
                RunRecord.Teacher(model: $0.0, weights: $0.1, testTop1: $1.top1)
            }
            say("teachers' mean predictive entropy on the test split (nats): "
                + zip(configuration.teacherNames, teacherEntropies).map { String(format: "%@ %.4f", $0, $1) }.joined(separator: ", "))
            let method = try DistillationMethod(name: methodName)
            // CRD's heads need the feature widths, CA-MKD's embeddings the last stage maps' shapes: one probe forward.
            let probe = try Tensor.zeros(shape: [1, train.channels, train.height, train.width], context: context)
            let (student, teacherTaps) = try context.noGrad { () throws -> (FeatureTaps, [FeatureTaps]) in
                model.eval()
                defer { model.train() }
                return (try model.features(probe), try teachers.map { try $0.features(probe) })
            }
            let stageShape = { (taps: FeatureTaps) in Array(taps.stages.last?.shape.dropFirst() ?? []) }
            let setup = DistillationSetup(options: distillation.methodOptions, textOptions: distillation.textOptions,
                                          classes: train.classes, trainingLabels: train.labels,
                                          studentFeatures: student.pooled.shape.last ?? 0,
                                          teacherFeatures: teacherTaps.map { $0.pooled.shape.last ?? 0 },
                                          studentPoolsItsMap: student.pooledMap != nil, teachers: teachers,
                                          studentStage: stageShape(student), teacherStages: teacherTaps.map(stageShape),
                                          labelSmoothing: settings.labelSmoothing, seed: UInt64(settings.seed), context: context)
            (objective, mixUp) = try method.makeObjective(setup)
            say("objective: \(objective.name)" + (teachers.isEmpty ? "" : "; teachers: "
                + zip(configuration.teacherNames, configuration.teacherWeights).map { "\($0) (\($1))" }.joined(separator: ", ")))
        }
        // The objective's own parameters (CRD's heads) train with the student.
        var groups = [ParameterGroup(model.parameters())]
        if !objective.parameters().isEmpty { groups.append(ParameterGroup(objective.parameters())) }
        let sgd = try SGDOptimizer(groups, options: .init(learningRate: settings.learningRate, momentum: settings.momentum,
                                                          weightDecay: settings.weightDecay, nesterov: settings.nesterov),
                                   context: context)
        let optimizer: any Optimizer = try wrapOptimizer?(sgd) ?? sgd
        let schedule = try settings.makeSchedule()
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: schedule, epochs: settings.epochs,
                              labelSmoothing: Float(settings.labelSmoothing), runDirectory: run)
        trainer.teachers = teachers
        trainer.objective = objective
        trainer.mixUp = mixUp
        trainer.seed = UInt64(settings.seed)
        trainer.saveEvery = settings.saveEvery
        trainer.saveEverySteps = settings.saveEverySteps
        trainer.dataParallel = dataParallel
        trainer.ghostBatches = settings.ghostBatches
        trainer.precision = settings.precision
        trainer.checkpointMetadata = try settings.checkpointMetadata(for: train)

        if writes {
            try RunFolder.writeSettings(configuration.json, to: run)
            if let names = train.classNames { try RunFolder.writeClassNames(names, descriptions: train.classDescriptions, to: run) }
            try RunRecord(command: configuration.command.rawValue, device: context.device.info.summary,
                          ranks: dataParallel?.group.size ?? 1, teachers: teacherRecords).write(in: run)
        }
        // Under mpirun, rank 0 reads the checkpoint and ``Trainer/fit`` hands it to the others.
        let start = resumes && writes ? try trainer.resume() : .start
        say("\(settings.model) on \(settings.dataset): \(train.count) training and \(test.count) test images, "
              + "\(model.parameterCount.formatted(.number)) parameters, run folder \(run.path)"
              + (start.epoch > 0 || start.step > 0 ? ", resuming at epoch \(start.epoch + 1) step \(start.step + 1)" : ""))

        let interrupt = InterruptFlag()
        trainer.shouldStop = { interrupt.isSet }
        let progress = Progress(batchSize: settings.batchSize)
        // TensorBoard: the run's event files (RunEvents), written by the process that writes the run folder.
        let events = writes ? try RunEvents(run: run, stepsPerEpoch: trainLoader.batchesPerEpoch, from: start,
                                            history: trainer.history) : nil
        trainer.onStep = { progress.step($0, epochs: settings.epochs); events?.step($0) }
        trainer.onEpoch = { metrics in
            if let failure = TrainingSettings.decodeFailure(in: [test]) { throw failure }
            try events?.epoch(metrics)
            RunReportWriter.writeOrWarn(folder: run)  // report.html after every epoch
        }
        let before = trainer.history.count
        let history: [EpochMetrics]
        do {
            history = try DeviceMemoryAdvice.explaining(batchSize: settings.batchSize) {
                try trainer.fit(train: trainLoader, test: testLoader, from: start)
            }
        } catch {
            // Under --bad-images fail, a file that does not decode makes NaN inputs that stop training: name the file.
            progress.finishLine()
            throw TrainingSettings.decodeFailure(in: [train, test]) ?? error
        }
        progress.finishLine()
        if let note = TrainingSettings.decodeNote(in: [train, test]) { say(note) }
        try events?.finish()  // TensorBoard: a failed write of a step's loss
        for metrics in history.dropFirst(before) {
            var line = String(format: "epoch %d/%d: train loss %.4f acc %.2f%% | test loss %.4f top-1 %.2f%% top-5 %.2f%% ECE %.4f",
                              metrics.epoch, settings.epochs, metrics.trainLoss, metrics.trainAccuracy * 100, metrics.testLoss,
                              metrics.testTop1 * 100, metrics.testTop5 * 100, metrics.testCalibrationError ?? 0)
            if let agreement = metrics.agreement, let divergence = metrics.predictiveKL {
                line += String(format: " | agreement %.2f%% predictive KL %.4f", agreement * 100, divergence)
            }
            say(line + String(format: " | %.1f s, %.0f images/s", metrics.seconds, metrics.imagesPerSecond))
        }
        if writes, !teacherEntropies.isEmpty, !history.isEmpty {
            let lines = zip(configuration.teacherNames, teacherEntropies).map {
                String(format: "- teacher %@: mean predictive entropy %.4f nats on the test split\n", $0, $1)
            }
            let summary = run.appendingPathComponent("summary.md")
            let text = (try? String(contentsOf: summary, encoding: .utf8)) ?? ""
            try (text + "\n" + lines.joined()).write(to: summary, atomically: true, encoding: .utf8)
        }
        let reported = writes && RunReportWriter.writeOrWarn(folder: run)
        let outcome = Outcome(history: history, run: run, parameterCount: model.parameterCount, seconds: Date().timeIntervalSince(started),
                              interrupted: interrupt.isSet)
        if interrupt.isSet {
            say("stopped: saved \(run.appendingPathComponent("last.safetensors").path); continue with "
                + "`\(continuation ?? "retort \(configuration.command.rawValue) --resume \(run.path)")`")
        } else if let best = outcome.best {
            say(String(format: "best test top-1 %.2f%% (epoch %d); summary in %@", best.testTop1 * 100, best.epoch,
                       run.appendingPathComponent("summary.md").path)
                + (reported ? ", report page in \(run.appendingPathComponent(RunReportWriter.fileName).path)" : ""))
        }
        return outcome
    }
}
