import Foundation
import RetortDistill

/// `retort online`: online co-training of several networks (DML, SwitOKD, BD-KD, SOKD) into one run
/// folder, each network with its own SGD optimizer and schedule.
enum OnlineCommand: RegisteredCommand {
    static let name = "online"
    static let order = 80
    static let summary = """
        train several networks together, each with its own SGD (the training options
        of train, and)
        """
    static var usage: String {
        let methods = OnlineMethod.allCases
        let pairs = methods.filter { $0.networks == 2...2 && !$0.teachesFromFrozenTeacher }.map(\.name)
        let several = methods.filter { $0.networks.upperBound == .max }.map(\.name)
        var lines = ["--models A,B[,…] --method \(methods.map(\.name).joined(separator: "|"))   (names repeat as A-a, A-b)",
                     "[--lrs X,Y,…]   one learning rate per network (default --lr for all)",
                     "\(pairs.joined(separator: ", ")): first = teacher, second = student; \(several.joined(separator: ", ")): two or more"]
        for method in methods where !method.teachesFromFrozenTeacher {
            lines += method.options.map { "\(method.name): [--\($0.key) \($0.placeholder)]   \($0.help)" }
        }
        for method in methods where method.teachesFromFrozenTeacher {
            lines.append("\(method.name): --models TEACHER,STUDENT --teacher-weights FILE"
                         + (method.options.isEmpty ? "" : " [\(MethodHelp.options(method.options))]"))
        }
        return (lines + ["[--save-every-steps N]   also save the last checkpoints every N steps",
                         "--resume DIR    continue from the last checkpoints (every epoch's end, every N steps, Ctrl-C)",
                         "[--force]   --out DIR holds a previous run: start over (removes its files)"])
            .joined(separator: "\n")
    }
    static var spec: Arguments.Spec { .settings(OnlineConfiguration.keys, flags: ["nesterov", "force"], extra: ["config", "resume"]) }

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try launch.requireSingleProcess("online")
        let source = try RunFolder(arguments)
        let configuration = try OnlineConfiguration.resolve(file: source.file, flags: arguments.options, switches: arguments.flags)
        let run = try source.claim(configuration.out ?? "runs/\(configuration.defaultRunName)", for: arguments,
                                   inputs: configuration.teacherWeights)
        let context = try launch.makeContext()
        try execute(configuration, run: run, resumes: source.resumed != nil, context: context)
    }

    /// The networks, objective and frozen networks of `configuration`'s method. Network `k` is
    /// initialised from `seed + k` (networks of the same architecture must start apart).
    static func makeNetworks(_ configuration: OnlineConfiguration, like dataset: Dataset, context: Context) throws
        -> (models: [any Classifier], names: [String], trainable: [[Tensor]], objective: any OnlineObjective, frozen: [(name: String, model: any Classifier)]) {
        let names = OnlineNetwork.uniqueNames(configuration.models)
        let seed = UInt64(configuration.seed)
        let labelSmoothing = Float(configuration.labelSmoothing)
        func make(_ index: Int) throws -> any Classifier {
            try ModelZoo.make(configuration.models[index], inputChannels: dataset.channels, inputSize: dataset.height, classes: dataset.classes,
                              context: context, seed: seed &+ UInt64(index))
        }
        let method = try OnlineMethod(name: configuration.method ?? "")
        let objective = try method.makeObjective(labelSmoothing: labelSmoothing, options: configuration.methodOptions,
                                                 text: configuration.methodTextOptions, networks: configuration.models.count)
        if method.teachesFromFrozenTeacher {
            // The branch point is checked before the weights are read.
            let teacher = try ModelZoo.make(configuration.models[0], inputChannels: dataset.channels, inputSize: dataset.height,
                                            classes: dataset.classes, context: context).asAuxiliaryBranching(model: configuration.models[0])
            let weights = URL(fileURLWithPath: configuration.teacherWeights[0])
            try teacher.load(stateDict: SafeTensors(contentsOf: weights), source: weights.path)
            teacher.eval()
            let auxiliary = try AuxiliaryBranchNetwork(teacher: teacher, seed: seed)
            let student = try make(1)
            return ([auxiliary, student], [names[0] + "-aux", names[1]], [auxiliary.trainableParameters, student.parameters()],
                    objective, [(names[0], teacher)])
        }
        let models = try configuration.models.indices.map(make)
        return (models, names, models.map { $0.parameters() }, objective, [])
    }

    @discardableResult
    static func execute(_ configuration: OnlineConfiguration, run: URL, resumes: Bool, context: Context) throws -> OnlineTrainer {
        let say = Console.say
        let (trainLoader, testLoader) = try TrainingJob.loaders(configuration.training)
        let train = trainLoader.dataset, test = testLoader.dataset
        let (models, names, trainable, objective, frozen) = try makeNetworks(configuration, like: train, context: context)
        let networks = try models.indices.map { index -> OnlineNetwork in
            var own = configuration.training
            own.learningRate = configuration.learningRates.isEmpty ? configuration.learningRate : configuration.learningRates[index]
            let optimizer = try SGDOptimizer([ParameterGroup(trainable[index])],
                                             options: .init(learningRate: own.learningRate, momentum: own.momentum, weightDecay: own.weightDecay,
                                                            nesterov: own.nesterov), context: context)
            return OnlineNetwork(name: names[index], model: models[index], optimizer: optimizer, schedule: try own.makeSchedule())
        }
        let trainer = try OnlineTrainer(networks: networks, objective: objective, epochs: configuration.epochs, runDirectory: run)
        trainer.frozen = frozen
        trainer.saveEverySteps = configuration.training.saveEverySteps
        trainer.precision = configuration.training.precision
        trainer.checkpointMetadata = try configuration.training.checkpointMetadata(for: train)

        try RunFolder.writeSettings(configuration.json, to: run)
        let start = resumes ? try trainer.resume() : .start
        say("\(objective.name) on \(configuration.dataset): \(train.count) training and \(test.count) test images, run folder \(run.path)"
            + (start.epoch > 0 || start.step > 0 ? ", resuming at epoch \(start.epoch + 1) step \(start.step + 1)" : ""))
        for network in networks {
            say("  \(network.name): \(network.optimizer.groups.flatMap(\.parameters).reduce(0) { $0 + $1.count }.formatted(.number)) trained parameters, "
                + "lr \(network.schedule.baseLearningRate) (\(network.schedule))")
        }
        for (name, _) in frozen { say("  \(name): frozen teacher (\(configuration.teacherWeights.first ?? ""))") }

        let interrupt = InterruptFlag()
        trainer.shouldStop = { interrupt.isSet }
        let progress = Progress(batchSize: configuration.batchSize)
        // TensorBoard: one event folder per network (RunEvents), the mode counters at the run's root.
        let events = try RunEvents(run: run, networks: networks.map(\.name), stepsPerEpoch: trainLoader.batchesPerEpoch, from: start,
                                   history: trainer.history)
        trainer.onStep = { progress.step($0, epochs: configuration.epochs); events.step($0) }
        trainer.onEpoch = { metrics in
            try events.epoch(metrics)
            RunReportWriter.writeOrWarn(folder: run)  // report.html after every epoch
        }
        let before = trainer.history.count
        let history = try DeviceMemoryAdvice.explaining(batchSize: configuration.batchSize) {
            try trainer.fit(train: trainLoader, test: testLoader, from: start)
        }
        progress.finishLine()
        try events.finish()  // TensorBoard: a failed write of a step's loss
        for (name, metrics) in trainer.frozenMetrics.sorted(by: { $0.key < $1.key }) where start.epoch == 0 && start.step == 0 {
            say("frozen \(name): " + String(format: "test loss %.4f top-1 %.2f%% top-5 %.2f%% ECE %.4f", metrics.testLoss, metrics.testTop1 * 100,
                                            metrics.testTop5 * 100, metrics.testCalibrationError))
        }
        for epoch in history.dropFirst(before) {
            for network in networks {
                guard let m = epoch.networks[network.name] else { continue }
                say("epoch \(epoch.epoch)/\(configuration.epochs) \(network.name): "
                    + String(format: "train loss %.4f acc %.2f%% | test loss %.4f top-1 %.2f%% top-5 %.2f%% ECE %.4f | agreement %.2f%% "
                             + "predictive KL %.4f | %d steps", m.trainLoss, m.trainAccuracy * 100, m.testLoss, m.testTop1 * 100,
                             m.testTop5 * 100, m.testCalibrationError ?? 0, (m.agreement ?? 0) * 100, m.predictiveKL ?? 0,
                             epoch.updates[network.name] ?? 0))
            }
            if !epoch.counters.isEmpty {
                say("epoch \(epoch.epoch)/\(configuration.epochs) \(objective.name): "
                    + epoch.counters.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    + String(format: " | %.1f s", epoch.seconds))
            }
        }
        if interrupt.isSet {
            say("stopped: saved the last checkpoints in \(run.path); continue with `retort online --resume \(run.path)`")
        } else {
            say("\nnetwork            last top-1   best top-1 (epoch)   ECE      agreement")
            for network in networks {
                guard let last = history.last?.networks[network.name], let best = trainer.best(network.name) else { continue }
                say(network.name.padding(toLength: max(18, network.name.count), withPad: " ", startingAt: 0)
                    + String(format: " %8.2f%%   %8.2f%% (%d)       %.4f   %6.2f%%", last.testTop1 * 100, best.testTop1 * 100, best.epoch,
                             last.testCalibrationError ?? 0, (last.agreement ?? 0) * 100))
            }
            say("summary in \(run.appendingPathComponent("summary.md").path)")
        }
        RunReportWriter.writeOrWarn(folder: run)
        return trainer
    }
}
