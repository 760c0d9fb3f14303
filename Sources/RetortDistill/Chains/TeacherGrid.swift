import Foundation

/// One teacher run of a ``TeacherGrid``: the batch size it trains (or trained) with and its folder.
public struct GridTeacher: Equatable, Sendable {
    public init(batchSize: Int, model: String, run: URL, trains: Bool) {
        (self.batchSize, self.model, self.run, self.trains) = (batchSize, model, run, trains)
    }

    /// The teacher's training batch size.
    public let batchSize: Int
    /// The teacher's zoo name.
    public let model: String
    /// The teacher's run folder; it keeps `epoch-<n>.safetensors` every K epochs.
    public let run: URL
    /// Whether the grid trains this teacher (into `run`); false for a given run.
    public let trains: Bool
}

/// The teacher "sweet spot" over batch size and epochs (Wang et al. 2022, "there exists a sweet spot
/// between batch size and number of epochs"): a teacher run per batch size (trained with
/// `--save-every K`, or given), then a ``TeacherSweep`` of each — a fresh student, same seed and
/// budget, from every kept checkpoint, in `<directory>/bs<b>/from-epoch-<n>/`.
///
/// Finished teachers and students are reused and an interrupted one continues from its last
/// checkpoint, so running the same grid again continues it.
public struct TeacherGrid: Sendable {
    /// In the order their columns appear (batch size ascending is the caller's choice).
    public var teachers: [GridTeacher]
    /// The student's zoo name.
    public var student: String
    public var directory: URL
    /// Epochs of each student.
    public var epochs: Int
    /// Epochs of each teacher the grid trains.
    public var teacherEpochs: Int

    public init(teachers: [GridTeacher], student: String, directory: URL, epochs: Int, teacherEpochs: Int) {
        self.teachers = teachers
        self.student = student
        self.directory = directory
        self.epochs = epochs
        self.teacherEpochs = teacherEpochs
    }

    /// The folder of the students taught by the teacher of batch size `batchSize`.
    public func studentsDirectory(batchSize: Int) -> URL { directory.appendingPathComponent("bs\(batchSize)") }

    /// Trains the teachers that need it (reusing finished ones), sweeps each, and calls `record`
    /// with the report so far after every teacher and every column. Stops after an interrupted run.
    /// - Parameters:
    ///   - train: trains one teacher (a `.train` request into its run folder) at its batch size.
    ///   - distill: distills one student.
    public func run(train: @escaping (StageRequest, GridTeacher) throws -> StageResult,
                    distill: @escaping (StageRequest) throws -> StageResult,
                    parameterCount: @escaping (String) throws -> Int,
                    record: (TeacherGridReport) throws -> Void,
                    log: @escaping (String) -> Void = { _ in }) throws -> TeacherGridReport {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var report = TeacherGridReport(student: student, columns: [], interrupted: false)
        for teacher in teachers {
            if teacher.trains {
                log("== teacher-bs\(teacher.batchSize): \(teacher.model) at batch size \(teacher.batchSize), \(teacherEpochs) epochs")
                let executor = StageExecutor(epochs: teacherEpochs, runner: { try train($0, teacher) }, parameterCount: parameterCount,
                                             log: log)
                let request = StageRequest(name: "teacher-bs\(teacher.batchSize)", model: teacher.model, task: .train,
                                           directory: teacher.run)
                if try executor.run(request).interrupted {
                    report.interrupted = true
                    try record(report)
                    log("stopped in teacher-bs\(teacher.batchSize); run the same sweep-teachers command again to continue from there")
                    return report
                }
            }
            let sweep = TeacherSweep(run: teacher.run, teacher: teacher.model, student: student,
                                     directory: studentsDirectory(batchSize: teacher.batchSize), epochs: epochs)
            let column = try sweep.run(runner: distill, parameterCount: parameterCount, log: log)
            report.columns.append(GridColumn(batchSize: teacher.batchSize, sweep: column))
            report.interrupted = column.interrupted
            try record(report)
            if column.interrupted { break }
        }
        return report
    }
}

/// The students distilled from the kept checkpoints of one teacher run of a grid.
public struct GridColumn: Codable, Equatable, Sendable {
    public var batchSize: Int
    public var sweep: SweepReport

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", sweep
    }

    public init(batchSize: Int, sweep: SweepReport) {
        self.batchSize = batchSize
        self.sweep = sweep
    }
}

/// One cell of a grid: a teacher checkpoint (batch size × epoch) and the student it taught.
public struct GridCell: Equatable, Sendable {
    public var batchSize: Int
    public var row: SweepRow
}

/// The outcome of a ``TeacherGrid``: student top-1 over (teacher batch size × teacher epoch), each
/// beside the teacher checkpoint's own top-1.
public struct TeacherGridReport: Codable, Equatable, Sendable {
    public var student: String
    /// One per teacher run, in the grid's order.
    public var columns: [GridColumn]
    public var interrupted: Bool

    public init(student: String, columns: [GridColumn], interrupted: Bool) {
        self.student = student
        self.columns = columns
        self.interrupted = interrupted
    }

    /// Every cell, column by column, in teacher-epoch order.
    public var cells: [GridCell] { columns.flatMap { column in column.sweep.rows.map { GridCell(batchSize: column.batchSize, row: $0) } } }

    /// The cell whose student reached the highest top-1 (the first among equals).
    public var best: GridCell? {
        var best: GridCell?
        for cell in cells where best == nil || cell.row.student.bestTop1 > best!.row.student.bestTop1 { best = cell }
        return best
    }

    /// The teacher epochs of any column, ascending.
    public var epochs: [Int] { Array(Set(cells.map(\.row.checkpoint.epoch))).sorted() }

    enum CodingKeys: String, CodingKey {
        case student, columns, interrupted
    }

    /// ``CodingKeys`` and the best cell, which is written but derived on reading.
    enum EncodingKeys: String, CodingKey {
        case student, columns, interrupted, best
    }

    enum BestKeys: String, CodingKey {
        case batchSize = "batch_size", teacherEpoch = "teacher_epoch", file, studentTop1 = "student_top1", teacherTop1 = "teacher_top1"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EncodingKeys.self)
        try container.encode(student, forKey: .student)
        try container.encode(columns, forKey: .columns)
        try container.encode(interrupted, forKey: .interrupted)
        if let best {
            var nested = container.nestedContainer(keyedBy: BestKeys.self, forKey: .best)
            try nested.encode(best.batchSize, forKey: .batchSize)
            try nested.encode(best.row.checkpoint.epoch, forKey: .teacherEpoch)
            try nested.encode(best.row.checkpoint.file, forKey: .file)
            try nested.encode(best.row.student.bestTop1, forKey: .studentTop1)
            try nested.encodeIfPresent(best.row.checkpoint.teacherTop1, forKey: .teacherTop1)
        }
    }

    /// The grid (Markdown): a row per teacher epoch, a column per batch size, each cell
    /// "student top-1 (teacher top-1)", then the best cell.
    public var markdown: String {
        let models = Set(columns.map(\.sweep.teacher)).sorted().joined(separator: ", ")
        var text = "# Teacher sweet-spot grid: \(student) from \(models) over batch size × epoch\n\n"
        text += "Each cell: the student's best top-1 (the teacher checkpoint's own top-1). Every student has the same seed and budget.\n\n"
        text += "| teacher epoch | " + columns.map { "batch \($0.batchSize)" }.joined(separator: " | ") + " |\n"
        text += "|---|" + String(repeating: "---|", count: columns.count) + "\n"
        for epoch in epochs {
            let entries = columns.map { column -> String in
                guard let row = column.sweep.rows.first(where: { $0.checkpoint.epoch == epoch }) else { return "—" }
                let cell = "\(TableCell.percent(row.student.bestTop1)) (\(TableCell.percent(row.checkpoint.teacherTop1)))"
                return best == GridCell(batchSize: column.batchSize, row: row) ? "**\(cell)**" : cell
            }
            text += "| \(epoch) | " + entries.joined(separator: " | ") + " |\n"
        }
        if let best {
            let checkpoint = best.row.checkpoint
            text += "\nBest cell: student \(TableCell.percent(best.row.student.bestTop1)) from the batch-\(best.batchSize) teacher "
                + "at epoch \(checkpoint.epoch) (\(checkpoint.file), teacher top-1 \(TableCell.percent(checkpoint.teacherTop1))).\n"
        }
        text += "\nPer batch size, the full tables are in `bs<b>/sweep.md`.\n"
        if interrupted { text += "\nInterrupted: run the same sweep-teachers command again to continue.\n" }
        return text
    }

    /// Writes `sweep.md` and `sweep.json` into `directory`.
    public func write(to directory: URL) throws {
        try markdown.write(to: directory.appendingPathComponent("sweep.md"), atomically: true, encoding: .utf8)
        try StageExecutor.encoder.encode(self).write(to: directory.appendingPathComponent("sweep.json"), options: .atomic)
    }
}
