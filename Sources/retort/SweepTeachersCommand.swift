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
        --out DIR   DIR/from-epoch-<n>/, DIR/sweep.md, DIR/sweep.json; run again to reuse
        finished students; other settings into a used DIR are refused unless [--force]
        """
    static var spec: Arguments.Spec {
        .settings((SweepConfiguration.ownKeys + StageSettings.keys).filter { $0 != "dataset" }, flags: ["nesterov", "force"],
                  extra: ["config"])
    }

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try launch.requireSingleProcess("sweep-teachers")
        let source = try RunFolder(arguments)
        let configuration = try SweepConfiguration.resolve(file: source.file, flags: arguments.options, switches: arguments.flags) { run in
            let url = URL(fileURLWithPath: run).appendingPathComponent("config.json")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw CLIError.failed("\(run) has no config.json; give a teacher run folder written by `retort train --save-every K --out DIR`")
            }
            return try RunFolder.readSettings(url)
        }
        let say = Console.say
        let out = configuration.out ?? configuration.defaultDirectory
        var saved = configuration.json
        saved["out"] = URL(fileURLWithPath: out).path
        // A run without kept checkpoints fails before the device starts.
        let teachers = try TeacherSweep.checkpoints(in: URL(fileURLWithPath: configuration.run)).map(\.path)
        let directory = try source.claim(out, for: arguments, inputs: teachers, continuing: saved, resumable: false)
        let sweep = TeacherSweep(run: URL(fileURLWithPath: configuration.run), teacher: configuration.teacher, student: configuration.student,
                                 directory: directory, epochs: configuration.epochs)
        let context = try launch.makeContext()
        try RunFolder.writeSettings(saved, to: directory)
        let report = try sweep.run(runner: { try configuration.settings.run($0, context: context) },
                                   parameterCount: try configuration.settings.parameterCounter(context: context), log: say)
        say("")
        say(report.markdown)
        say("written: \(directory.appendingPathComponent("sweep.md").path), \(directory.appendingPathComponent("sweep.json").path)")
    }
}
