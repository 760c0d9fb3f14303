import Foundation
import RetortDistill

/// The settings of `retort sweep-teachers`, from a JSON file (`--config`) and flags; flags win.
///
/// Three modes:
/// - `run` names one teacher run folder: a student from each of its kept checkpoints (the sweep).
/// - `run` names several run folders (comma-separated): the grid over their batch sizes (each read
///   from the run's `config.json`) and kept checkpoints.
/// - `teacher` names a zoo model, with `batch-sizes` and `save-every`: the grid trains the teacher
///   once per batch size (`teacher-epochs`, `teacher-lr`; the seed and the other settings shared) into
///   `<out>/teacher-bs<b>/`, then sweeps each.
///
/// The rest are the students' training settings (``StageSettings``). Given runs supply the model,
/// the dataset, `data-dir`, `limit` and the input normalization (unless given). Unknown keys are errors naming the key.
struct SweepConfiguration {
    static let ownKeys = ["run", "student", "out", "teacher", "batch-sizes", "teacher-epochs", "teacher-lr"]

    /// The teacher runs, in column order (one for the single-run sweep).
    var teachers: [GridTeacher]
    var student: String
    var out: String?
    /// The students' settings.
    var settings: StageSettings
    /// Epochs of every student.
    var epochs: Int
    /// The teachers' settings (`teacher` mode): the students' with the teacher's epochs, lr and `save-every`.
    var teacherSettings: StageSettings?
    /// Epochs of every teacher the grid trains.
    var teacherEpochs: Int
    /// Whether the report is the batch size × epoch grid (`sweep.svg` too), not the single-run table.
    var isGrid: Bool

    /// The single run of the plain sweep.
    var run: String { teachers[0].run.path }
    var teacher: String { teachers[0].model }

    /// - Parameter runConfiguration: reads a teacher run's `config.json` once `run` is known.
    static func resolve(file: [String: Any]?, flags: [String: String], switches: Set<String>,
                        runConfiguration: (String) throws -> [String: Any]) throws -> SweepConfiguration {
        let givesRuns = flags["run"] != nil || file?["run"] != nil
        var (own, settings) = try StageSettings.split(
            command: "sweep-teachers", ownKeys: ownKeys, file: file, flags: flags, switches: switches,
            refused: givesRuns ? ["dataset": "sweep-teachers distills on the teacher run's dataset (its config.json); leave it out"] : [:])
        guard let student = own["student"] else { throw CLIError.usage("sweep-teachers needs --student NAME, the model to distill from each checkpoint") }
        try checkModel(student, key: "student")
        let runs = own["run"].map { SettingText(key: "run", text: $0).list() } ?? []
        var configuration: SweepConfiguration
        if let teacher = own["teacher"] {
            guard runs.isEmpty else {
                throw CLIError.usage("give either --teacher NAME (the grid trains it per batch size) or --run DIR[,DIR…] (given runs), "
                                     + "not both")
            }
            let folder = URL(fileURLWithPath: own["out"] ?? "runs/grid-\(student)-from-\(teacher)")
            configuration = try teacherGrid(teacher: teacher, own: own, settings: &settings, student: student, folder: folder)
        } else {
            guard !runs.isEmpty else {
                throw CLIError.usage("sweep-teachers needs --run DIR (a teacher run folder from `retort train --save-every K`), several "
                                     + "--run DIR1,DIR2 (the grid over their batch sizes), or --teacher NAME --batch-sizes 32,128,512 "
                                     + "--save-every K")
            }
            for key in ["batch-sizes", "teacher-epochs", "teacher-lr"] where own[key] != nil {
                throw CLIError.usage("--\(key) applies to the grid that trains its teachers (--teacher NAME); given runs keep theirs")
            }
            var teachers: [GridTeacher] = []
            var data: [String: String] = [:]
            for run in runs {
                let teacherRun = try runConfiguration(run)
                guard let model = teacherRun["model"] as? String else {
                    throw CLIError.failed("\(run)/config.json names no model; give a run folder written by `retort train`")
                }
                let batchSize = teacherRun["batch-size"] as? Int ?? 0
                if runs.count > 1 {
                    guard batchSize > 0 else {
                        throw CLIError.failed("\(run)/config.json names no batch-size; give run folders written by `retort train`")
                    }
                    if let other = teachers.first(where: { $0.batchSize == batchSize }) {
                        throw CLIError.usage("\(other.run.path) and \(run) both trained at batch size \(batchSize); the grid takes one run "
                                             + "per batch size")
                    }
                }
                // The teacher's data and normalization, unless the sweep's own file or flags say otherwise; all runs must share them.
                for key in ["dataset", "data-dir", "limit", "normalization", "mean", "std"] {
                    let value = teacherRun[key].map { "\($0)" } ?? "—"
                    if let first = data[key], first != value {
                        throw CLIError.usage("the runs differ in \(key) (\(first) and \(value) in \(run)); give runs trained on the "
                                             + "same data")
                    }
                    data[key] = value
                    if settings.file[key] == nil, settings.flags[key] == nil, let given = teacherRun[key] { settings.file[key] = given }
                }
                teachers.append(GridTeacher(batchSize: batchSize, model: model, run: URL(fileURLWithPath: run), trains: false))
            }
            let folder = URL(fileURLWithPath: own["out"] ?? ".")
            let epochs = try settings.student(model: student, teacher: teachers[0].model, weights: "teacher.safetensors",
                                              run: folder).epochs
            configuration = SweepConfiguration(teachers: teachers, student: student, out: own["out"], settings: settings, epochs: epochs,
                                               teacherSettings: nil, teacherEpochs: epochs, isGrid: runs.count > 1)
        }
        return configuration
    }

    private static func checkModel(_ name: String, key: String) throws(CLIError) {
        guard ModelZoo.names.contains(name) else {
            throw .usage("\(key): unknown model '\(name)'; the zoo has \(ModelZoo.names.joined(separator: ", "))")
        }
    }

    /// The `teacher` mode: `batch-sizes` and `save-every` are required; the teachers' settings are
    /// the shared ones with `teacher-epochs` and `teacher-lr` (default: the students' epochs and lr).
    private static func teacherGrid(teacher: String, own: [String: String], settings: inout StageSettings, student: String,
                                    folder: URL) throws -> SweepConfiguration {
        try checkModel(teacher, key: "teacher")
        guard let sizesText = own["batch-sizes"] else {
            throw CLIError.usage("--teacher needs --batch-sizes B1,B2,… (e.g. 32,128,512): the grid trains the teacher once per batch size")
        }
        let sizes = try SettingText(key: "batch-sizes", text: sizesText).list().map { text throws(CLIError) -> Int in
            try SettingText(key: "batch-sizes", text: text).integer(2...65_536)
        }
        guard !sizes.isEmpty, Set(sizes).count == sizes.count else {
            throw CLIError.usage("batch-sizes must list distinct batch sizes like 32,128,512, got '\(sizesText)'")
        }
        let saveEvery = settings.flags.removeValue(forKey: "save-every")
            ?? settings.file.removeValue(forKey: "save-every").map(SettingText.text(of:))
        guard let saveEvery else {
            throw CLIError.usage("--teacher needs --save-every K: the teachers keep their weights every K epochs, and a student "
                                 + "learns from each")
        }
        // Teacher settings: the shared ones, with the teacher's own epochs, lr and checkpoints.
        var teacherSettings = settings
        teacherSettings.flags["save-every"] = saveEvery
        if let epochs = own["teacher-epochs"] { teacherSettings.flags["epochs"] = epochs }
        if let rate = own["teacher-lr"] { teacherSettings.flags["lr"] = rate }
        func renamed(_ error: CLIError, _ key: String, _ name: String) -> CLIError {
            if case .usage(let message) = error, message.hasPrefix(key + " ") { return .usage(name + message.dropFirst(key.count)) }
            return error
        }
        let teacherEpochs: Int
        do {
            teacherEpochs = try teacherSettings.teacher(model: teacher, run: folder).training.epochs
        } catch {
            throw renamed(renamed(error, "epochs", "teacher-epochs"), "lr", "teacher-lr")
        }
        let teachers = sizes.map { size in
            GridTeacher(batchSize: size, model: teacher, run: folder.appendingPathComponent("teacher-bs\(size)"), trains: true)
        }
        let epochs = try settings.student(model: student, teacher: teacher, weights: "teacher.safetensors", run: folder).epochs
        return SweepConfiguration(teachers: teachers, student: student, out: own["out"], settings: settings, epochs: epochs,
                                  teacherSettings: teacherSettings, teacherEpochs: teacherEpochs, isGrid: true)
    }

    /// The teachers' settings at one batch size.
    func teacherSettings(batchSize: Int) -> StageSettings? {
        guard var settings = teacherSettings else { return nil }
        settings.flags["batch-size"] = "\(batchSize)"
        return settings
    }

    /// The sweep folder when `out` is not given.
    var defaultDirectory: String {
        if teacherSettings != nil { return teachers[0].run.deletingLastPathComponent().path }
        return "runs/sweep-\(student)-from-" + teachers.map(\.run.lastPathComponent).joined(separator: "+")
    }

    /// The settings as JSON (the sweep folder's `config.json`).
    var json: [String: Any] {
        var object = teacherSettings?.json.filter { ["save-every"].contains($0.key) } ?? [:]
        object.merge(settings.json) { $1 }
        object["student"] = student
        if let out { object["out"] = out }
        if let teacherSettings {
            object["teacher"] = teacher
            object["batch-sizes"] = teachers.map(\.batchSize)
            object["teacher-epochs"] = teacherEpochs
            if let rate = teacherSettings.flags["lr"] ?? teacherSettings.file["lr"].map(SettingText.text(of:)) {
                object["teacher-lr"] = rate
            }
        } else {
            object["run"] = teachers.count == 1 ? run : teachers.map(\.run.path).joined(separator: ",")
            object["teacher"] = teachers.count == 1 ? teacher : teachers.map(\.model).joined(separator: ",")
        }
        return object
    }
}
