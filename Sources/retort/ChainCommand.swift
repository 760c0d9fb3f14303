import Foundation
import RetortDistill

/// `retort chain`: teacher-assistant distillation (TAKD). The teacher is trained with
/// cross-entropy (or evaluated, with `--teacher-weights`); every later model is distilled from the
/// previous stage's best checkpoint; `--compare-direct` also distills the student straight from the
/// teacher. Writes `DIR/<i>-<model>/` per stage, `DIR/summary.md`, `DIR/chain.json`; running the
/// same command again reuses finished stages and continues an interrupted one.
enum ChainCommand: RegisteredCommand {
    static let name = "chain"
    static let order = 50
    static let summary = """
        teacher-assistant distillation (TAKD): train the teacher, then distill each model
        from the previous stage's best checkpoint (the training and loss options of distill)
        """
    static let usage = """
        --models TEACHER,[ASSISTANT,…,]STUDENT   largest first, e.g. plane10,plane6,plane2
        --assistants auto|auto:N|NAME,…   with --models TEACHER,STUDENT: choose N family
        members spaced evenly in log-parameters (plain CNNs, CIFAR ResNets, WRNs)
        [--teacher-weights FILE]   a trained teacher: evaluate it instead of training
        [--compare-direct]   also distill the student straight from the teacher
        --out DIR   stage folders DIR/0-<teacher>/ …, DIR/summary.md, DIR/chain.json;
        run again (or --resume DIR) to reuse finished stages and continue; other
        settings into a used DIR are refused unless [--force] (removes its runs)
        """
    static var spec: Arguments.Spec {
        .settings(ChainConfiguration.ownKeys + StageSettings.keys, flags: ["nesterov", "compare-direct", "force"],
                  extra: ["config", "resume"])
    }

    static func run(_ arguments: Arguments, launch: Launch) throws {
        let source = try RunFolder(arguments)
        var flags = arguments.options
        if let resumed = source.resumed { flags["out"] = resumed.path }
        let configuration = try ChainConfiguration.resolve(file: source.file, flags: flags, switches: arguments.flags)
        let out = configuration.out ?? configuration.defaultDirectory
        var saved = configuration.json
        saved["out"] = URL(fileURLWithPath: out).path
        let dataParallel = launch.makeDataParallel()
        try dataParallel?.checkSameSettings(String(decoding: try JSONSerialization.data(withJSONObject: saved, options: .sortedKeys),
                                                   as: UTF8.self))
        // Under mpirun, rank 0 runs the chain and the others train its stages with it.
        if let dataParallel, !dataParallel.isMain {
            try dataParallel.group.barrier()
            let context = try launch.makeContext()
            try ChainStageRelay(dataParallel: dataParallel).serve {
                _ = try configuration.settings.run($0, context: context, dataParallel: dataParallel)
            }
            return
        }
        let directory = try source.claim(out, for: arguments, inputs: [configuration.teacherWeights ?? ""], continuing: saved)
        try dataParallel?.group.barrier()
        let say = Console.say
        let context = try launch.makeContext()
        let parameterCount = try configuration.settings.parameterCounter(context: context)
        let models = try chainModels(configuration, parameterCount: parameterCount, log: say)
        var teacherWeights: URL?
        if let path = configuration.teacherWeights {
            guard FileManager.default.fileExists(atPath: path) else {
                throw CLIError.failed("--teacher-weights \(path): no such file; give the teacher's weights (e.g. a run's best.safetensors)")
            }
            teacherWeights = URL(fileURLWithPath: path)
        }
        let chain = try TeacherAssistantChain(models: models, directory: directory, teacherWeights: teacherWeights,
                                              comparesDirect: configuration.comparesDirect, epochs: configuration.epochs)
        try RunFolder.writeSettings(saved, to: directory)
        say("chain \(models.joined(separator: " → "))" + (configuration.comparesDirect ? " (and \(models.last!) directly from \(models[0]))" : "")
            + ", \(configuration.epochs) epoch\(configuration.epochs == 1 ? "" : "s") per stage, in \(directory.path)")
        let relay = dataParallel.map { ChainStageRelay(dataParallel: $0) }
        let report = try chain.run(runner: { request in
            if case .evaluate = request.task { return try configuration.settings.run(request, context: context) }
            try relay?.send(request)
            return try configuration.settings.run(request, context: context, dataParallel: dataParallel)
        }, parameterCount: parameterCount, log: say)
        try relay?.finish()
        say("")
        say(report.markdown)
        say("written: \(directory.appendingPathComponent("summary.md").path), \(directory.appendingPathComponent("chain.json").path)")
        RunReportWriter.writeOrWarn(folder: directory)
    }

    /// Teacher, assistants, student: as listed, with named assistants, or with assistants chosen
    /// from the family (the reason is printed).
    static func chainModels(_ configuration: ChainConfiguration, parameterCount: (String) throws -> Int,
                            log: (String) -> Void) throws -> [String] {
        let models = configuration.models
        switch configuration.assistants {
        case .listed:
            return models
        case .named(let names):
            return [models[0]] + names + [models[1]]
        case .automatic(let count):
            let selection: AssistantSelection
            do {
                selection = try AssistantSelection(teacher: models[0], student: models[1], count: count, parameterCount: parameterCount)
            } catch let error as ChainError {
                throw CLIError.usage(error.description)  // the models given do not allow it: exit 2
            }
            log("assistants: \(selection.explanation)")
            return [models[0]] + selection.assistants + [models[1]]
        }
    }
}
