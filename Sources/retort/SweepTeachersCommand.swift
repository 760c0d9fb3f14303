import Foundation
import RetortDistill

/// `retort sweep-teachers`: distills a fresh student (same seed, same budget) from every kept
/// checkpoint of a teacher run (`retort train --save-every K`) and reports which teacher epoch
/// taught best; over several runs, or teachers it trains at several batch sizes, the grid of
/// student accuracy over (teacher batch size × teacher epoch). Running it again continues.
enum SweepTeachersCommand: RegisteredCommand {
    static let name = "sweep-teachers"
    static let order = 60
    static let summary = """
        distill a fresh student from every kept checkpoint of a teacher run (or of a teacher trained
        at several batch sizes) and find the teacher epoch and batch size that teach best
        """
    static let usage = """
        --run DIR   a run from retort train --save-every K   --student NAME
        --run DIR1,DIR2,…   several runs: the grid over their batch sizes and kept checkpoints
        --teacher NAME --batch-sizes 32,128,512 --save-every K [--teacher-epochs N] [--teacher-lr LR]
                    train the teacher per batch size into DIR/teacher-bs<b>/, then the grid
        --out DIR   DIR/from-epoch-<n>/ (one run) or DIR/bs<b>/from-epoch-<n>/ (grid), DIR/sweep.md,
        DIR/sweep.json, DIR/sweep.svg (grid); run again to reuse finished teachers and students and
        continue a stopped one; other settings into a used DIR are refused unless [--force]
        """
    static var spec: Arguments.Spec {
        .settings(SweepConfiguration.ownKeys + StageSettings.keys, flags: ["nesterov", "force"], extra: ["config"])
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
        // Given runs without kept checkpoints fail before the device starts.
        let inputs = try configuration.teachers.filter { !$0.trains }.flatMap { try TeacherSweep.checkpoints(in: $0.run).map(\.path) }
        let directory = try source.claim(out, for: arguments, inputs: inputs, continuing: saved, resumable: false)
        let context = try launch.makeContext()
        try RunFolder.writeSettings(saved, to: directory)
        let parameterCount = try configuration.settings.parameterCounter(context: context)
        let distill = { (request: StageRequest) in try configuration.settings.run(request, context: context) }
        guard configuration.isGrid else {
            let sweep = TeacherSweep(run: URL(fileURLWithPath: configuration.run), teacher: configuration.teacher,
                                     student: configuration.student,
                                     directory: directory, epochs: configuration.epochs)
            let report = try sweep.run(runner: distill, parameterCount: parameterCount, log: say)
            say("")
            say(report.markdown)
            say("written: \(directory.appendingPathComponent("sweep.md").path), \(directory.appendingPathComponent("sweep.json").path)")
            RunReportWriter.writeOrWarn(folder: directory)
            return
        }
        let teachers = configuration.teachers.map { teacher in
            // Teachers the grid trains live in the claimed folder.
            guard teacher.trains else { return teacher }
            return GridTeacher(batchSize: teacher.batchSize, model: teacher.model,
                               run: directory.appendingPathComponent(teacher.run.lastPathComponent), trains: true)
        }
        let grid = TeacherGrid(teachers: teachers, student: configuration.student, directory: directory, epochs: configuration.epochs,
                               teacherEpochs: configuration.teacherEpochs)
        let report = try grid.run(train: { request, teacher in
            guard let settings = configuration.teacherSettings(batchSize: teacher.batchSize) else {
                throw CLIError.failed("teacher-bs\(teacher.batchSize) has no training settings")
            }
            return try settings.run(request, context: context)
        }, distill: distill, parameterCount: parameterCount, record: { try $0.writeWithPlot(to: directory) }, log: say)
        say("")
        say(report.markdown)
        say("written: " + ["sweep.md", "sweep.json", "sweep.svg"].map { directory.appendingPathComponent($0).path }.joined(separator: ", "))
        RunReportWriter.writeOrWarn(folder: directory)
    }
}
