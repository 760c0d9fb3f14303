import Foundation
import RetortDistill

/// The settings of `retort sweep-teachers`, from a JSON file (`--config`) and flags; flags win.
/// Its own keys are `run` (the teacher's run folder), `student` and `out`; the rest are the
/// students' training settings (``StageSettings``). The teacher model and the dataset come from the
/// run's `config.json` (as do `data-dir` and `limit`, unless given). Unknown keys are errors naming
/// the key.
struct SweepConfiguration {
    static let ownKeys = ["run", "student", "out"]

    var run: String
    var teacher: String
    var student: String
    var out: String?
    var settings: StageSettings
    /// Epochs of every student.
    var epochs: Int

    /// - Parameter runConfiguration: reads the teacher run's `config.json` once `run` is known.
    static func resolve(file: [String: Any]?, flags: [String: String], switches: Set<String>,
                        runConfiguration: (String) throws -> [String: Any]) throws -> SweepConfiguration {
        var (own, settings) = try StageSettings.split(
            command: "sweep-teachers", ownKeys: ownKeys, file: file, flags: flags, switches: switches,
            refused: ["dataset": "sweep-teachers distills on the teacher run's dataset (its config.json); leave it out"])
        guard let run = own["run"] else { throw CLIError.usage("sweep-teachers needs --run DIR, a teacher run folder from `retort train --save-every K`") }
        guard let student = own["student"] else { throw CLIError.usage("sweep-teachers needs --student NAME, the model to distill from each checkpoint") }
        guard ModelZoo.names.contains(student) else {
            throw CLIError.usage("student: unknown model '\(student)'; the zoo has \(ModelZoo.names.joined(separator: ", "))")
        }
        let teacherRun = try runConfiguration(run)
        guard let teacher = teacherRun["model"] as? String else {
            throw CLIError.failed("\(run)/config.json names no model; give a run folder written by `retort train`")
        }
        // The teacher's data, unless the sweep's own file or flags say otherwise.
        for key in ["dataset", "data-dir", "limit"] where settings.file[key] == nil && settings.flags[key] == nil {
            if let value = teacherRun[key] { settings.file[key] = value }
        }
        let folder = URL(fileURLWithPath: own["out"] ?? ".")
        let epochs = try settings.student(model: student, teacher: teacher, weights: "teacher.safetensors", run: folder).epochs
        return SweepConfiguration(run: run, teacher: teacher, student: student, out: own["out"], settings: settings, epochs: epochs)
    }

    /// The sweep folder when `out` is not given.
    var defaultDirectory: String { "runs/sweep-\(student)-from-\(URL(fileURLWithPath: run).lastPathComponent)" }

    /// The settings as JSON (the sweep folder's `config.json`).
    var json: [String: Any] {
        var object = settings.json
        object["run"] = run
        object["student"] = student
        object["teacher"] = teacher
        if let out { object["out"] = out }
        return object
    }
}
