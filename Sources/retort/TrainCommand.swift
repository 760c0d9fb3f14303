import Foundation
import RetortDistill

/// `retort train`, `retort distill` and `retort selfdistill`: training of a zoo model on a dataset,
/// with a run folder.
enum TrainCommand {
    /// Writes a line straight to stdout, so it stays in order with the progress line.
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    static func run(_ arguments: Arguments, command: TrainConfiguration.Command) throws {
        var runDirectory: URL?
        var file: [String: Any]?
        if let resume = arguments.options["resume"] {
            runDirectory = URL(fileURLWithPath: resume)
            file = try readJSON(runDirectory!.appendingPathComponent("config.json"))
        } else if let path = arguments.options["config"] {
            file = try readJSON(URL(fileURLWithPath: path))
        }
        let configuration = try TrainConfiguration.resolve(command, file: file, flags: arguments.options, switches: arguments.flags)
        let defaultName: String
        switch command {
        case .train: defaultName = "\(configuration.model)-\(configuration.dataset)"
        case .distill: defaultName = "\(configuration.model)-from-\(configuration.teachers.joined(separator: "+"))-\(configuration.method ?? "kd")"
        case .selfdistill: defaultName = "\(configuration.model)-\(configuration.method ?? "")"
        }
        let run = runDirectory ?? URL(fileURLWithPath: configuration.out ?? "runs/\(defaultName)")

        let kind = try DatasetKind(name: configuration.dataset)
        let train = try Dataset.load(kind, split: .train, directory: configuration.dataDirectory, limit: configuration.limit)
        let test = try Dataset.load(kind, split: .test, directory: configuration.dataDirectory, limit: configuration.limit)
        // The recipe's augmentation: random crop with zero padding (2 on 28×28, 4 on 32×32) and flips.
        let augmentation = Augmentation(cropPadding: train.height <= 28 ? 2 : 4, horizontalFlip: true)
        let trainLoader = try DataLoader(dataset: train, batchSize: configuration.batchSize, mode: .train(augmentation), seed: UInt64(configuration.seed))
        let testLoader = try DataLoader(dataset: test, batchSize: 500, mode: .test, seed: 0)

        let context = try Context()
        say("device: \(context.device.info.summary)")
        let model = try ModelZoo.make(configuration.model, inputChannels: train.channels, inputSize: train.height, classes: train.classes,
                                      context: context, seed: UInt64(configuration.seed))
        func loadTeacher(_ name: String, _ weights: String) throws -> any Classifier {
            let teacher = try ModelZoo.make(name, inputChannels: train.channels, inputSize: train.height, classes: train.classes, context: context)
            let url = URL(fileURLWithPath: weights)
            try teacher.load(stateDict: SafeTensors(contentsOf: url), source: url.path)
            try teacher.freeze()
            teacher.eval()
            return teacher
        }
        var teachers: [any Classifier] = []
        var objective: any DistillationLoss = CrossEntropyLoss(labelSmoothing: Float(configuration.labelSmoothing))
        var mixUp: MixUp?
        if command != .train {
            teachers = try zip(configuration.teachers, configuration.teacherWeights).map { try loadTeacher($0, $1) }
            let method = try DistillationMethod(name: configuration.method ?? "kd")
            // CRD's heads need the feature widths: one probe forward.
            let probe = try Tensor.zeros(shape: [1, train.channels, train.height, train.width], context: context)
            let (studentWidth, teacherWidths) = try context.noGrad { () throws -> (Int, [Int]) in
                model.eval()
                defer { model.train() }
                return (try model.features(probe).pooled.shape.last ?? 0, try teachers.map { try $0.features(probe).pooled.shape.last ?? 0 })
            }
            let setup = DistillationSetup(options: configuration.methodOptions, textOptions: configuration.kdReduction.map { ["kd-reduction": $0] } ?? [:],
                                          classes: train.classes, trainingLabels: train.labels, studentFeatures: studentWidth,
                                          teacherFeatures: teacherWidths, labelSmoothing: configuration.labelSmoothing,
                                          seed: UInt64(configuration.seed), context: context)
            (objective, mixUp) = try method.makeObjective(setup)
            say("objective: \(objective.name)" + (teachers.isEmpty ? "" : "; teachers: "
                + zip(configuration.teachers, configuration.teacherWeights).map { "\($0) (\($1))" }.joined(separator: ", ")))
        } else if let teacherName = configuration.teacherModel {
            guard let weights = configuration.teacherWeights.first else { throw CLIError.usage("--teacher-model needs --teacher-weights FILE.safetensors") }
            teachers = [try loadTeacher(teacherName, weights)]
            objective = WeightedLoss([(Float(configuration.kdGamma), CrossEntropyLoss(labelSmoothing: Float(configuration.labelSmoothing))),
                                      (Float(configuration.kdAlpha), KnowledgeDistillation(temperature: Float(configuration.kdTemperature)))])
            say("distilling from \(teacherName) (\(weights)): T \(configuration.kdTemperature), γ·CE \(configuration.kdGamma), α·KL \(configuration.kdAlpha)")
        }
        // The objective's own parameters (CRD's heads) train with the student.
        var groups = [ParameterGroup(model.parameters())]
        if !objective.parameters().isEmpty { groups.append(ParameterGroup(objective.parameters())) }
        let optimizer = try SGDOptimizer(groups, options: .init(learningRate: configuration.learningRate, momentum: configuration.momentum,
                                                                weightDecay: configuration.weightDecay, nesterov: configuration.nesterov),
                                         context: context)
        let schedule = try makeSchedule(configuration)
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: schedule, epochs: configuration.epochs,
                              labelSmoothing: Float(configuration.labelSmoothing), runDirectory: run)
        trainer.teachers = teachers
        trainer.objective = objective
        trainer.mixUp = mixUp
        trainer.seed = UInt64(configuration.seed)

        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let config = try JSONSerialization.data(withJSONObject: configuration.json, options: [.prettyPrinted, .sortedKeys])
        try config.write(to: run.appendingPathComponent("config.json"), options: .atomic)
        let start = runDirectory != nil ? try trainer.resume() : .start
        say("\(configuration.model) on \(configuration.dataset): \(train.count) training and \(test.count) test images, "
              + "\(model.parameterCount.formatted(.number)) parameters, run folder \(run.path)"
              + (start.epoch > 0 || start.step > 0 ? ", resuming at epoch \(start.epoch + 1) step \(start.step + 1)" : ""))

        let interrupt = InterruptFlag()
        trainer.shouldStop = { interrupt.isSet }
        let progress = Progress(batchSize: configuration.batchSize)
        trainer.onStep = { progress.step($0, epochs: configuration.epochs) }
        let before = trainer.history.count
        let history = try trainer.fit(train: trainLoader, test: testLoader, from: start)
        progress.finishLine()
        for metrics in history.dropFirst(before) {
            var line = String(format: "epoch %d/%d: train loss %.4f acc %.2f%% | test loss %.4f top-1 %.2f%% top-5 %.2f%% ECE %.4f",
                              metrics.epoch, configuration.epochs, metrics.trainLoss, metrics.trainAccuracy * 100, metrics.testLoss,
                              metrics.testTop1 * 100, metrics.testTop5 * 100, metrics.testCalibrationError ?? 0)
            if let agreement = metrics.agreement, let divergence = metrics.predictiveKL {
                line += String(format: " | agreement %.2f%% predictive KL %.4f", agreement * 100, divergence)
            }
            say(line + String(format: " | %.1f s, %.0f images/s", metrics.seconds, metrics.imagesPerSecond))
        }
        if interrupt.isSet {
            say("stopped: saved \(run.appendingPathComponent("last.safetensors").path); continue with `retort \(command.rawValue) --resume \(run.path)`")
        } else if let best = history.max(by: { $0.testTop1 < $1.testTop1 }) {
            say(String(format: "best test top-1 %.2f%% (epoch %d); summary in %@", best.testTop1 * 100, best.epoch,
                         run.appendingPathComponent("summary.md").path))
        }
    }

    static func makeSchedule(_ configuration: TrainConfiguration) throws -> any LearningRateSchedule {
        var options: [String: String] = [:]
        switch configuration.schedule {
        case "multistep":
            guard !configuration.milestones.isEmpty else { throw CLIError.usage("schedule multistep needs --milestones, e.g. 150,180,210") }
            options = ["milestones": configuration.milestones.map(String.init).joined(separator: ","), "gamma": "\(configuration.gamma)"]
        case "step": options = ["step-size": "\(configuration.stepSize)", "gamma": "\(configuration.gamma)"]
        default: break
        }
        if configuration.warmupEpochs > 0 { options["warmup-epochs"] = "\(configuration.warmupEpochs)" }
        return try LearningRateScheduleConfiguration(schedule: configuration.schedule, options: options)
            .makeSchedule(baseLearningRate: configuration.learningRate, epochs: configuration.epochs)
    }

    static func readJSON(_ url: URL) throws -> [String: Any] {
        guard let data = try? Data(contentsOf: url) else { throw CLIError.failed("cannot read \(url.path)") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CLIError.failed("\(url.path) is not a JSON object of settings")
        }
        return object
    }
}

/// Set by Ctrl-C: the trainer finishes its step, saves `last` and stops.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in self.lock.withLock { self.set = true } }
        source.resume()
    }

    deinit { source.cancel() }

    var isSet: Bool { lock.withLock { set } }
}

/// One live line on a terminal (epoch, step, loss, accuracy, images/s, ETA); a plain line every
/// tenth of an epoch otherwise.
final class Progress {
    private let batchSize: Int
    private let terminal = isatty(STDOUT_FILENO) != 0
    private var epochStart = Date()
    private var lastEpoch = -1

    init(batchSize: Int) { self.batchSize = batchSize }

    func step(_ state: Trainer.StepProgress, epochs: Int) {
        let (epoch, step, steps, loss) = (state.epoch, state.step, state.stepsPerEpoch, state.loss)
        if epoch != lastEpoch { lastEpoch = epoch; epochStart = Date() }
        let elapsed = Date().timeIntervalSince(epochStart)
        let rate = Double((step + 1) * batchSize) / max(elapsed, 1e-9)
        let remaining = Double(steps - step - 1) * elapsed / Double(step + 1)
        let line = String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.2f%%  %.0f images/s  ETA %d:%02d", epoch + 1, epochs,
                          step + 1, steps, loss, state.accuracy * 100, rate, Int(remaining) / 60, Int(remaining) % 60)
        if terminal {
            FileHandle.standardOutput.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else if (step + 1) % max(1, steps / 10) == 0 || step + 1 == steps {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    func finishLine() { if terminal { FileHandle.standardOutput.write(Data("\n".utf8)) } }
}
