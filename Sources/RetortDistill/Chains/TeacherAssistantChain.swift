import Foundation

/// TAKD's multi-step distillation (Mirzadeh et al., AAAI 2020): `models = [T, TA_1, …, TA_m, S]`
/// in decreasing capacity; the teacher trains with cross-entropy alone (or is given trained), and
/// every later model is distilled from the previous stage's *best* checkpoint (highest test top-1,
/// TAKD's `{name}_best.pth.tar`), not its last. Optionally the student is also distilled straight
/// from the teacher (TAKD's "BLKD" baseline) to measure what the assistants bring.
///
/// The distillation objective is the runner's (the CLI: `--loss kd` by default, with RepDistiller's
/// 0.1·CE + 0.9·T²·KL_batchmean, T = 4). TAKD's own objective,
/// `(1−λ)·CE + λ·T²·KLDivLoss_mean` (mean over B·C elements), is `--kd-reduction mean
/// --ce-weight 1−λ --loss-weight λ --temperature T`; its plain-CNN schedule is
/// `--schedule constant --lr 0.01`.
///
/// Each stage is a run folder under ``directory``: `0-<teacher>`, `1-<assistant>`, …,
/// `<m+1>-<student>`, and `direct-<student>`. A stage whose folder already holds a finished run
/// (all ``epochs`` in `metrics.jsonl` and a `best.safetensors`) is reused, and an interrupted one
/// (`last.safetensors`) is continued, so running the same chain again picks up where it stopped.
/// Once a stage trains in an invocation (rather than being reused), the stages it teaches start
/// over: their folders were taught by other weights. The training itself is the `runner` closure's: the CLI runs a `TrainingJob`,
/// tests inject their own.
public struct TeacherAssistantChain: Sendable {
    /// Teacher, assistants, student: largest first.
    public var models: [String]
    public var directory: URL
    /// Weights of a trained teacher: stage 0 is only evaluated.
    public var teacherWeights: URL?
    /// Also distill the student directly from the teacher (`direct-<student>`).
    public var comparesDirect: Bool
    /// Epochs of every training stage.
    public var epochs: Int

    public init(models: [String], directory: URL, teacherWeights: URL? = nil, comparesDirect: Bool = false, epochs: Int) throws(ChainError) {
        guard models.count >= 2 else { throw .tooFewModels(models) }
        self.models = models
        self.directory = directory
        self.teacherWeights = teacherWeights
        self.comparesDirect = comparesDirect
        self.epochs = epochs
    }

    /// The stages in the order they run: the teacher, each assistant and the student, each taught
    /// by the previous stage's handed-on weights; then the direct student, taught by the teacher.
    public var stages: [StageRequest] {
        var stages: [StageRequest] = []
        for (index, model) in models.enumerated() {
            let name = "\(index)-\(model)"
            let folder = directory.appendingPathComponent(name)
            let task: StageTask
            if let previous = stages.last {
                task = .distill(teacher: previous.model, weights: previous.handedOnWeights)
            } else {
                task = teacherWeights.map { .evaluate(weights: $0) } ?? .train
            }
            stages.append(StageRequest(name: name, model: model, task: task, directory: folder))
        }
        if comparesDirect, let teacher = stages.first, let student = models.last {
            let name = "direct-\(student)"
            stages.append(StageRequest(name: name, model: student, task: .distill(teacher: teacher.model, weights: teacher.handedOnWeights),
                                       directory: directory.appendingPathComponent(name)))
        }
        return stages
    }

    /// Runs every stage in order (reusing finished ones), writes `summary.md` and `chain.json`
    /// after each stage, and returns the report. Stops after a stage that was interrupted.
    /// - Parameters:
    ///   - runner: trains, distills or evaluates one stage.
    ///   - parameterCount: a zoo model's parameter count (for reused stages without `stage.json`).
    ///   - log: progress lines.
    public func run(runner: @escaping (StageRequest) throws -> StageResult, parameterCount: @escaping (String) throws -> Int,
                    log: @escaping (String) -> Void = { _ in }) throws -> ChainReport {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let executor = StageExecutor(epochs: epochs, runner: runner, parameterCount: parameterCount, log: log)
        var report = ChainReport(models: models, stages: [], direct: nil, interrupted: false)
        // The handed-on weights of stages trained (not reused) in this invocation.
        var retrained: Set<URL> = []
        for request in stages {
            let teacher = request.teacher.map { " from \($0.model) (\($0.weights.path))" } ?? ""
            log("== stage \(request.name): \(request.model)" + (request.teacher == nil ? (teacherWeights == nil ? ", trained on the labels" : ", evaluated") : teacher))
            let (summary, interrupted) = try executor.run(request, startsOver: request.teacher.map { retrained.contains($0.weights) } ?? false)
            if !summary.reused, !summary.evaluated { retrained.insert(request.handedOnWeights) }
            if request.name.hasPrefix("direct-") { report.direct = summary } else { report.stages.append(summary) }
            report.interrupted = interrupted
            try report.write(to: directory)
            if interrupted {
                log("stopped in stage \(request.name); run the same chain command again to continue from there")
                break
            }
        }
        return report
    }
}

/// The outcome of a chain: one row per stage, and the direct student beside the chain's.
public struct ChainReport: Codable, Equatable, Sendable {
    public var models: [String]
    /// Teacher, assistants, student.
    public var stages: [StageSummary]
    /// The student distilled straight from the teacher, with `--compare-direct`.
    public var direct: StageSummary?
    /// Stopped before its last stage finished.
    public var interrupted: Bool

    /// Top-1 of the chain's student minus that of the direct student (positive: the assistants helped).
    public var chainMinusDirect: Double? {
        guard let direct, let student = stages.last, stages.count == models.count else { return nil }
        return student.bestTop1 - direct.bestTop1
    }

    enum CodingKeys: String, CodingKey {
        case models, stages, direct, interrupted
        case chainMinusDirect = "chain_minus_direct_top1"
    }

    public init(models: [String], stages: [StageSummary], direct: StageSummary?, interrupted: Bool) {
        self.models = models
        self.stages = stages
        self.direct = direct
        self.interrupted = interrupted
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        models = try container.decode([String].self, forKey: .models)
        stages = try container.decode([StageSummary].self, forKey: .stages)
        direct = try container.decodeIfPresent(StageSummary.self, forKey: .direct)
        interrupted = try container.decode(Bool.self, forKey: .interrupted)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(models, forKey: .models)
        try container.encode(stages, forKey: .stages)
        try container.encodeIfPresent(direct, forKey: .direct)
        try container.encode(interrupted, forKey: .interrupted)
        try container.encodeIfPresent(chainMinusDirect, forKey: .chainMinusDirect)
    }

    /// The chain table (Markdown), the direct student right after the chain's student.
    public var markdown: String {
        var text = "# Teacher-assistant chain: \(models.joined(separator: " → "))\n\n"
        text += "Each stage learns from the previous stage's best checkpoint (highest test top-1); agreement, predictive KL "
            + "(teacher ‖ student, T = 1) and ECE are those of the stage's best epoch.\n\n"
        text += "| stage | model | teacher | parameters | best top-1 | best epoch | agreement | pred. KL | ECE | wall s | note |\n"
        text += "|---|---|---|---|---|---|---|---|---|---|---|\n"
        for row in stages + (direct.map { [$0] } ?? []) {
            let note = [row.evaluated ? "evaluated (given weights)" : nil, row.reused ? "reused" : nil].compactMap { $0 }.joined(separator: ", ")
            text += "| \(row.stage) | \(row.model) | \(row.teacher ?? (row.evaluated ? "— (given)" : "labels (CE)")) | \(TableCell.count(row.parameters)) "
                + "| \(TableCell.percent(row.bestTop1)) | \(row.bestEpoch.map(String.init) ?? "—") | \(TableCell.percent(row.agreement)) "
                + "| \(TableCell.number(row.predictiveKL)) | \(TableCell.number(row.calibrationError)) | \(String(format: "%.1f", row.seconds)) | \(note) |\n"
        }
        if let gain = chainMinusDirect, let student = stages.last, let direct {
            text += String(format: "\nStudent %@: %.2f%% through the chain, %.2f%% distilled directly from %@: %+.2f points for the chain.\n",
                           student.model, student.bestTop1 * 100, direct.bestTop1 * 100, models[0], gain * 100)
        }
        if interrupted { text += "\nInterrupted: run the same chain command again to continue.\n" }
        return text
    }

    /// Writes `summary.md` and `chain.json` into `directory`.
    public func write(to directory: URL) throws {
        try markdown.write(to: directory.appendingPathComponent("summary.md"), atomically: true, encoding: .utf8)
        try StageExecutor.encoder.encode(self).write(to: directory.appendingPathComponent("chain.json"), options: .atomic)
    }
}
