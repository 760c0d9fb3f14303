import Foundation

/// What one stage of a multi-stage command (a teacher-assistant chain, a teacher sweep) does.
public enum StageTask: Equatable, Sendable {
    /// Train the model from scratch with cross-entropy (the chain's teacher, TAKD's "NOKD" run).
    case train
    /// Only evaluate given weights on the test split (a teacher trained elsewhere).
    case evaluate(weights: URL)
    /// Distill the model from a frozen teacher: its zoo name and its weights.
    case distill(teacher: String, weights: URL)
}

/// One stage to run: a model, a task and a run folder of its own.
public struct StageRequest: Equatable, Sendable {
    /// The stage's folder name (`0-plane10`, `direct-plane2`, `from-epoch-3`).
    public var name: String
    /// The zoo name of the model this stage trains or evaluates.
    public var model: String
    public var task: StageTask
    /// The stage's run folder (`config.json`, `metrics.jsonl`, `best`/`last` checkpoints).
    public var directory: URL
    /// The folder holds an interrupted run (`last.safetensors`): continue it rather than start over.
    public var resumes: Bool

    public init(name: String, model: String, task: StageTask, directory: URL, resumes: Bool = false) {
        self.name = name
        self.model = model
        self.task = task
        self.directory = directory
        self.resumes = resumes
    }

    /// The checkpoint this stage hands on: the given weights of an evaluated teacher, otherwise
    /// the run's `best.safetensors` (highest test top-1, as TAKD's `{name}_best.pth.tar`).
    public var handedOnWeights: URL {
        if case .evaluate(let weights) = task { return weights }
        return directory.appendingPathComponent("best.safetensors")
    }

    /// The teacher this stage learns from, if any.
    public var teacher: (model: String, weights: URL)? {
        if case .distill(let model, let weights) = task { return (model, weights) }
        return nil
    }
}

/// What running a stage reports back.
public struct StageResult: Sendable {
    /// Every epoch of the run (all of them after a resume).
    public var history: [EpochMetrics]
    public var parameterCount: Int
    /// Wall time of the stage.
    public var seconds: Double
    /// Stopped by Ctrl-C before its last epoch (`last` is saved).
    public var interrupted: Bool
    /// For ``StageTask/evaluate(weights:)``: the weights' test top-1 and expected calibration error.
    public var evaluation: (top1: Double, calibrationError: Double)?

    public init(history: [EpochMetrics], parameterCount: Int, seconds: Double, interrupted: Bool = false,
                evaluation: (top1: Double, calibrationError: Double)? = nil) {
        self.history = history
        self.parameterCount = parameterCount
        self.seconds = seconds
        self.interrupted = interrupted
        self.evaluation = evaluation
    }
}

/// One row of a chain or sweep table: a stage's model, what it learned from, and its best epoch.
///
/// The reported epoch is the best one (highest test top-1; the first of equals, as the trainer
/// keeps `best.safetensors` on a strict improvement): its top-1, ECE, and agreement and
/// predictive KL with the teacher are those of the checkpoint the stage hands on.
public struct StageSummary: Codable, Equatable, Sendable {
    public var stage: String
    public var model: String
    /// The teacher's zoo name, or nil for a stage trained on the labels alone.
    public var teacher: String?
    /// The teacher's weights file.
    public var teacherWeights: String?
    public var parameters: Int
    public var bestTop1: Double
    /// The best epoch (1-based); nil for evaluated weights.
    public var bestEpoch: Int?
    public var epochs: Int
    public var agreement: Double?
    public var predictiveKL: Double?
    public var calibrationError: Double?
    public var seconds: Double
    /// The weights this stage hands on to the next.
    public var weights: String
    /// A finished run found in the stage's folder and reused, not run again.
    public var reused: Bool
    /// Only evaluated (a teacher given with its weights).
    public var evaluated: Bool

    enum CodingKeys: String, CodingKey {
        case stage, model, teacher, parameters, epochs, agreement, seconds, weights, reused, evaluated
        case teacherWeights = "teacher_weights", bestTop1 = "best_top1", bestEpoch = "best_epoch"
        case predictiveKL = "predictive_kl", calibrationError = "test_ece"
    }

    /// The first epoch with the highest test top-1 (the one `best.safetensors` holds).
    public static func bestEpoch(of history: [EpochMetrics]) -> EpochMetrics? {
        var best: EpochMetrics?
        for metrics in history where best == nil || metrics.testTop1 > best!.testTop1 { best = metrics }
        return best
    }
}

/// Runs stages, skipping those whose folder already holds a finished run, and writes each stage's
/// `stage.json` (its ``StageSummary``) when it finishes.
struct StageExecutor {
    /// The epochs a training stage runs; a folder with this many epochs in `metrics.jsonl` and a
    /// `best.safetensors` is finished.
    var epochs: Int
    var runner: (StageRequest) throws -> StageResult
    var parameterCount: (String) throws -> Int
    var log: (String) -> Void

    /// The history of a finished run in `directory`, or nil when it is missing or incomplete.
    static func finishedHistory(in directory: URL, epochs: Int) -> [EpochMetrics]? {
        let best = directory.appendingPathComponent("best.safetensors")
        guard FileManager.default.fileExists(atPath: best.path),
              let text = try? String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8) else { return nil }
        let history = text.split(separator: "\n").compactMap { try? JSONDecoder().decode(EpochMetrics.self, from: Data($0.utf8)) }
        guard history.count >= epochs else { return nil }
        return Array(history.prefix(epochs))
    }

    /// Runs `request` (or reuses its finished run); returns its row and whether it was interrupted.
    /// A folder taught by other weights (its teacher was trained again in this invocation, or its
    /// `stage.json` names another teacher file) is removed and the stage runs from scratch.
    /// - Parameter startsOver: the stage's teacher was trained again in this invocation.
    func run(_ request: StageRequest, startsOver: Bool = false) throws -> (summary: StageSummary, interrupted: Bool) {
        var request = request
        let record = request.directory.appendingPathComponent("stage.json")
        let previous = (try? Data(contentsOf: record)).flatMap { try? JSONDecoder().decode(StageSummary.self, from: $0) }
        if startsOver, FileManager.default.fileExists(atPath: request.directory.path) {
            log("\(request.name): its teacher was trained again in this run; removing \(request.directory.path) and starting over")
            try FileManager.default.removeItem(at: request.directory)
        } else if let previous, let teacher = request.teacher, previous.teacherWeights != teacher.weights.path {
            log("\(request.name): \(request.directory.path) was taught by \(previous.teacherWeights ?? "no teacher"), not \(teacher.weights.path); "
                + "removing it and starting over")
            try FileManager.default.removeItem(at: request.directory)
        }
        if case .evaluate = request.task {
            // Evaluating is cheap and the weights may have changed: always evaluate again.
        } else if let history = Self.finishedHistory(in: request.directory, epochs: epochs) {
            let parameters = try previous?.parameters ?? parameterCount(request.model)
            let seconds = previous?.seconds ?? history.map(\.seconds).reduce(0, +)
            log("\(request.name): finished run found in \(request.directory.path) (\(history.count) epochs, best.safetensors); reusing it")
            var summary = Self.summary(of: request, result: StageResult(history: history, parameterCount: parameters, seconds: seconds))
            if previous == nil { try Self.encoder.encode(summary).write(to: record, options: .atomic) }  // killed before writing it
            summary.reused = true
            return (summary, false)
        } else if FileManager.default.fileExists(atPath: request.directory.appendingPathComponent("last.safetensors").path) {
            request.resumes = true
            let done = (try? String(contentsOf: request.directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8))?
                .split(separator: "\n").count ?? 0
            log("\(request.name): continuing the run in \(request.directory.path) from its last checkpoint (\(done) of \(epochs) epochs done)")
        }
        let result = try runner(request)
        let summary = Self.summary(of: request, result: result)
        if !result.interrupted {
            try FileManager.default.createDirectory(at: request.directory, withIntermediateDirectories: true)
            try Self.encoder.encode(summary).write(to: record, options: .atomic)
        }
        return (summary, result.interrupted)
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }

    static func summary(of request: StageRequest, result: StageResult) -> StageSummary {
        let best = StageSummary.bestEpoch(of: result.history)
        return StageSummary(stage: request.name, model: request.model, teacher: request.teacher?.model,
                            teacherWeights: request.teacher?.weights.path, parameters: result.parameterCount,
                            bestTop1: result.evaluation?.top1 ?? best?.testTop1 ?? 0, bestEpoch: best?.epoch,
                            epochs: result.history.count, agreement: best?.agreement, predictiveKL: best?.predictiveKL,
                            calibrationError: result.evaluation?.calibrationError ?? best?.testCalibrationError,
                            seconds: result.seconds, weights: request.handedOnWeights.path, reused: false,
                            evaluated: result.evaluation != nil)
    }
}

/// Formatting shared by the chain and sweep tables.
enum TableCell {
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "—" }
    static func number(_ value: Double?, digits: Int = 4) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "—" }
    /// Digits grouped by threes with commas (`2,487,850`), whatever the locale.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }
}
