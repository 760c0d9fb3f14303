import Foundation
import RetortDistill

/// `retort sweep-teachers`: distills a fresh student (same seed, same budget) from every kept
/// checkpoint of a teacher run (`retort train --save-every K`) and reports which teacher epoch
/// taught best. Writes `DIR/from-epoch-<n>/` per checkpoint, `DIR/sweep.md`, `DIR/sweep.json`;
/// running it again reuses finished students.
enum SweepTeachersCommand: RegisteredCommand {
    static let name = "sweep-teachers"
    static let order = 60
    static let summary = """
        distill a fresh student from every kept checkpoint of a teacher run and find the
        teacher epoch that teaches best (the training and loss options of distill)
        """
    static let usage = """
        --run DIR   a run from retort train --save-every K   --student NAME
        --out DIR   DIR/from-epoch-<n>/, DIR/sweep.md, DIR/sweep.json
        """
    static var spec: Arguments.Spec {
        .settings((SweepConfiguration.ownKeys + StageSettings.keys).filter { $0 != "dataset" }, extra: ["config"])
    }

    static func run(_ arguments: Arguments) throws {
        let file = try arguments.options["config"].map { try RunFolder.readSettings(URL(fileURLWithPath: $0)) }
        let configuration = try SweepConfiguration.resolve(file: file, flags: arguments.options, switches: arguments.flags) { run in
            let url = URL(fileURLWithPath: run).appendingPathComponent("config.json")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw CLIError.failed("\(run) has no config.json; give a teacher run folder written by `retort train --save-every K --out DIR`")
            }
            return try RunFolder.readSettings(url)
        }
        let say = Console.say
        let directory = URL(fileURLWithPath: configuration.out ?? configuration.defaultDirectory)
        let sweep = TeacherSweep(run: URL(fileURLWithPath: configuration.run), teacher: configuration.teacher, student: configuration.student,
                                 directory: directory, epochs: configuration.epochs)
        _ = try TeacherSweep.checkpoints(in: sweep.run)  // a run without kept checkpoints fails before the device starts
        let context = try Context()
        say("device: \(context.device.info.summary)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var saved = configuration.json
        saved["out"] = directory.path
        try JSONSerialization.data(withJSONObject: saved, options: [.prettyPrinted, .sortedKeys])
            .write(to: directory.appendingPathComponent("config.json"), options: .atomic)
        let report = try sweep.run(runner: { try configuration.settings.run($0, context: context) },
                                   parameterCount: try configuration.settings.parameterCounter(context: context), log: say)
        say("")
        say(report.markdown)
        say("written: \(directory.appendingPathComponent("sweep.md").path), \(directory.appendingPathComponent("sweep.json").path)")
    }
}
