import Foundation

/// One teacher checkpoint of a run: an intermediate `epoch-<n>.safetensors` (kept by
/// `Trainer.saveEvery`) or the run's `best.safetensors`.
public struct TeacherCheckpoint: Codable, Equatable, Sendable {
    /// The file name in the teacher's run folder.
    public var file: String
    public var path: String
    /// The teacher epoch (1-based) the weights are from.
    public var epoch: Int
    /// The teacher's test top-1 after that epoch (from `metrics.jsonl`, else the checkpoint's
    /// `test_top1` metadata).
    public var teacherTop1: Double?

    enum CodingKeys: String, CodingKey {
        case file, path, epoch
        case teacherTop1 = "teacher_top1"
    }
}

/// The "sweet spot" of teacher training (Cho & Hariharan 2019: early-stopped teachers can teach
/// better; Wang et al. 2022: "a checkpoint in the middle of the training procedure often serves as
/// a better teacher"): a fresh student, with the same seed and budget each time, is distilled from
/// every kept checkpoint of one teacher run, `<directory>/from-epoch-<n>/`.
///
/// A student whose folder already holds a finished run is reused, so a rerun continues.
public struct TeacherSweep: Sendable {
    /// The teacher's run folder (`retort train --save-every K`).
    public var run: URL
    /// The teacher's zoo name.
    public var teacher: String
    /// The student's zoo name.
    public var student: String
    public var directory: URL
    /// Epochs of each student.
    public var epochs: Int

    public init(run: URL, teacher: String, student: String, directory: URL, epochs: Int) {
        self.run = run
        self.teacher = teacher
        self.student = student
        self.directory = directory
        self.epochs = epochs
    }

    /// The kept checkpoints of a run in epoch order: every `epoch-<n>.safetensors`, plus
    /// `best.safetensors` when its epoch is not among them.
    /// - Throws: ``ChainError/noKeptCheckpoints(run:)`` when the run kept none.
    public static func checkpoints(in run: URL) throws -> [TeacherCheckpoint] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: run.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ChainError.invalidRun("\(run.path) is not a run folder; give the folder that `retort train --save-every K --out DIR` wrote")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: run.path)
        let kept: [(file: String, epoch: Int)] = files.compactMap { file in
            guard file.hasPrefix("epoch-"), file.hasSuffix(".safetensors"), !file.hasSuffix(".optimizer.safetensors"),
                  let epoch = Int(file.dropFirst("epoch-".count).dropLast(".safetensors".count)) else { return nil }
            return (file, epoch)
        }.sorted { $0.epoch < $1.epoch }
        guard !kept.isEmpty else { throw ChainError.noKeptCheckpoints(run: run.path) }

        let lines = (try? String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8))?.split(separator: "\n") ?? []
        let history = lines.compactMap { try? JSONDecoder().decode(EpochMetrics.self, from: Data($0.utf8)) }
        let accuracy = Dictionary(history.map { ($0.epoch, $0.testTop1) }, uniquingKeysWith: { $1 })
        func metadata(_ file: String) -> [String: String] {
            (try? SafeTensors(contentsOf: run.appendingPathComponent(file)))?.metadata ?? [:]
        }
        var checkpoints = kept.map { file, epoch in
            TeacherCheckpoint(file: file, path: run.appendingPathComponent(file).path, epoch: epoch,
                              teacherTop1: accuracy[epoch] ?? metadata(file)["test_top1"].flatMap(Double.init))
        }
        if FileManager.default.fileExists(atPath: run.appendingPathComponent("best.safetensors").path) {
            // The trainer records the epochs done as the run state of `best`.
            let bestEpoch = StageSummary.bestEpoch(of: history)?.epoch ?? metadata("best.safetensors")["epoch"].flatMap(Int.init)
            if let bestEpoch, !kept.contains(where: { $0.epoch == bestEpoch }) {
                checkpoints.append(TeacherCheckpoint(file: "best.safetensors", path: run.appendingPathComponent("best.safetensors").path,
                                                     epoch: bestEpoch, teacherTop1: accuracy[bestEpoch]))
                checkpoints.sort { $0.epoch < $1.epoch }
            }
        }
        return checkpoints
    }

    /// The students to distill, one per checkpoint, in epoch order.
    public func stages() throws -> [(checkpoint: TeacherCheckpoint, request: StageRequest)] {
        try Self.checkpoints(in: run).map { checkpoint in
            let name = "from-epoch-\(checkpoint.epoch)"
            return (checkpoint, StageRequest(name: name, model: student,
                                             task: .distill(teacher: teacher, weights: URL(fileURLWithPath: checkpoint.path)),
                                             directory: directory.appendingPathComponent(name)))
        }
    }

    /// Distills a student from every checkpoint (reusing finished ones), writes `sweep.md` and
    /// `sweep.json` after each, and returns the report. Stops after an interrupted student.
    public func run(runner: @escaping (StageRequest) throws -> StageResult, parameterCount: @escaping (String) throws -> Int,
                    log: @escaping (String) -> Void = { _ in }) throws -> SweepReport {
        let planned = try stages()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let executor = StageExecutor(epochs: epochs, runner: runner, parameterCount: parameterCount, log: log)
        var report = SweepReport(teacher: teacher, student: student, run: run.path, rows: [], interrupted: false)
        log("sweeping \(planned.count) checkpoints of \(run.path): " + planned.map(\.checkpoint.file).joined(separator: ", "))
        for (checkpoint, request) in planned {
            log("== \(request.name): \(student) from \(teacher) \(checkpoint.file) (teacher top-1 \(TableCell.percent(checkpoint.teacherTop1)))")
            let (summary, interrupted) = try executor.run(request)
            report.rows.append(SweepRow(checkpoint: checkpoint, student: summary))
            report.interrupted = interrupted
            try report.write(to: directory)
            if interrupted {
                log("stopped in \(request.name); run the same sweep-teachers command again to continue from there")
                break
            }
        }
        return report
    }
}

/// One student of a teacher sweep.
public struct SweepRow: Codable, Equatable, Sendable {
    public var checkpoint: TeacherCheckpoint
    public var student: StageSummary
}

/// The outcome of a teacher sweep.
public struct SweepReport: Codable, Equatable, Sendable {
    public var teacher: String
    public var student: String
    public var run: String
    /// One per checkpoint, in teacher-epoch order.
    public var rows: [SweepRow]
    public var interrupted: Bool

    /// The row whose student reached the highest top-1 (the earliest teacher epoch among equals).
    public var bestStudent: SweepRow? { Self.first(in: rows) { $0.student.bestTop1 } }

    /// The row of the most accurate teacher checkpoint (the earliest among equals).
    public var bestTeacher: SweepRow? { Self.first(in: rows.filter { $0.checkpoint.teacherTop1 != nil }) { $0.checkpoint.teacherTop1 ?? 0 } }

    private static func first(in rows: [SweepRow], by value: (SweepRow) -> Double) -> SweepRow? {
        var best: SweepRow?
        for row in rows where best == nil || value(row) > value(best!) { best = row }
        return best
    }

    enum CodingKeys: String, CodingKey {
        case teacher, student, run, rows, interrupted
        case bestStudent = "best_student_from", bestTeacher = "best_teacher"
    }

    public init(teacher: String, student: String, run: String, rows: [SweepRow], interrupted: Bool) {
        self.teacher = teacher
        self.student = student
        self.run = run
        self.rows = rows
        self.interrupted = interrupted
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        teacher = try container.decode(String.self, forKey: .teacher)
        student = try container.decode(String.self, forKey: .student)
        run = try container.decode(String.self, forKey: .run)
        rows = try container.decode([SweepRow].self, forKey: .rows)
        interrupted = try container.decode(Bool.self, forKey: .interrupted)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(teacher, forKey: .teacher)
        try container.encode(student, forKey: .student)
        try container.encode(run, forKey: .run)
        try container.encode(rows, forKey: .rows)
        try container.encode(interrupted, forKey: .interrupted)
        try container.encodeIfPresent(bestStudent?.checkpoint.file, forKey: .bestStudent)
        try container.encodeIfPresent(bestTeacher?.checkpoint.file, forKey: .bestTeacher)
    }

    /// The sweep table (Markdown) and which checkpoint taught best beside the most accurate one.
    public var markdown: String {
        var text = "# Teacher sweep: \(student) from the checkpoints of \(teacher) (\(run))\n\n"
        text += "Student top-1 is its best epoch's; agreement, predictive KL (teacher ‖ student, T = 1) and ECE are of that epoch.\n\n"
        text += "| checkpoint | teacher epoch | teacher top-1 | student top-1 | agreement | pred. KL | ECE | wall s | note |\n"
        text += "|---|---|---|---|---|---|---|---|---|\n"
        for row in rows {
            let marks = [row == bestStudent ? "best student" : nil, row == bestTeacher ? "best teacher" : nil, row.student.reused ? "reused" : nil]
            text += "| \(row.checkpoint.file) | \(row.checkpoint.epoch) | \(TableCell.percent(row.checkpoint.teacherTop1)) "
                + "| \(TableCell.percent(row.student.bestTop1)) | \(TableCell.percent(row.student.agreement)) "
                + "| \(TableCell.number(row.student.predictiveKL)) | \(TableCell.number(row.student.calibrationError)) "
                + "| \(String(format: "%.1f", row.student.seconds)) | \(marks.compactMap { $0 }.joined(separator: ", ")) |\n"
        }
        if let conclusion { text += "\n" + conclusion + "\n" }
        if interrupted { text += "\nInterrupted: run the same sweep-teachers command again to continue.\n" }
        return text
    }

    /// Which checkpoint distilled best, beside the most accurate teacher checkpoint.
    public var conclusion: String? {
        guard let best = bestStudent else { return nil }
        var text = "Best student \(TableCell.percent(best.student.bestTop1)) from \(best.checkpoint.file) (teacher epoch \(best.checkpoint.epoch), "
            + "teacher top-1 \(TableCell.percent(best.checkpoint.teacherTop1)))"
        if let teacher = bestTeacher {
            if teacher == best {
                text += "; that is also the most accurate teacher checkpoint."
            } else {
                text += "; the most accurate teacher, \(teacher.checkpoint.file) (epoch \(teacher.checkpoint.epoch), "
                    + "\(TableCell.percent(teacher.checkpoint.teacherTop1))), gave \(TableCell.percent(teacher.student.bestTop1))."
            }
        } else {
            text += "."
        }
        return text
    }

    /// Writes `sweep.md` and `sweep.json` into `directory`.
    public func write(to directory: URL) throws {
        try markdown.write(to: directory.appendingPathComponent("sweep.md"), atomically: true, encoding: .utf8)
        try StageExecutor.encoder.encode(self).write(to: directory.appendingPathComponent("sweep.json"), options: .atomic)
    }
}
