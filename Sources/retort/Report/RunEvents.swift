import Foundation
import RetortDistill
import RetortReport

/// A run's TensorBoard scalars, in event files in its run folder, so `tensorboard --logdir runs` shows
/// every run (the stages of `chain`, `sweep-teachers` and `prune` are runs of their own, in their
/// folders). Tags as PyTorch users name them: per epoch `train/loss`, `train/accuracy`, `test/loss`,
/// `test/top1`, `test/top5`, `test/ece`, `lr`, `epoch`, and with teachers (or peers)
/// `fidelity/agreement` and `fidelity/predictive_kl`; `train/step_loss` every ``stepInterval`` steps.
/// Values are those of `metrics.jsonl` (fractions, not percentages), as 32-bit floats.
///
/// One x-axis for all of them, the global step: the 0-based index `epoch · stepsPerEpoch + step` of a
/// step for its loss, and `epochs done · stepsPerEpoch` (the index of the next epoch's first step) for
/// an epoch's scalars. A resumed run opens a new event file that starts with a restart mark at the
/// step it continues from, the index of the first step it takes: TensorBoard drops what the earlier
/// files logged from there on, which the resumed run logs again (the epoch that ended exactly there
/// is written again from the run's history), so a run killed at any moment and resumed shows the
/// same curves as one that was not.
///
/// An online run writes one event folder per network (`<run>/<network>/`, shown as runs side by side,
/// so each chart overlays the networks), and at the run's root the summed step loss of the networks and
/// the objective's mode counters (`modes/<counter>`; SwitOKD's per switch, `modes/T-S1/expert_steps`).
final class RunEvents {
    /// Steps between two `train/step_loss` scalars (the first step of the run is one).
    static let stepInterval = 50

    private let root: TensorBoardWriter
    private let networks: [String: TensorBoardWriter]
    private let stepsPerEpoch: Int
    /// The step the run continues from (0 for a new run).
    private let restart: Int
    /// The first failed write of a step's loss; `onStep` cannot throw, so it is thrown at the epoch's end.
    private var failure: TensorBoardWriter.Failure?

    /// Event files for a `train`, `distill` or `selfdistill` run (or a stage) continuing from `start`
    /// (`.start` for a new run) with the epochs of `history` done.
    convenience init(run: URL, stepsPerEpoch: Int, from start: Trainer.ResumePoint, history: [EpochMetrics]) throws {
        try self.init(run: run, networks: [], stepsPerEpoch: stepsPerEpoch, continuingAt: start.epoch * stepsPerEpoch + start.step)
        for metrics in history where metrics.epoch * stepsPerEpoch >= restart { try epoch(metrics) }
    }

    /// Event files for an online run's networks.
    convenience init(run: URL, networks: [String], stepsPerEpoch: Int, from start: OnlineResumePoint,
                     history: [OnlineEpochMetrics]) throws {
        try self.init(run: run, networks: networks, stepsPerEpoch: stepsPerEpoch, continuingAt: start.epoch * stepsPerEpoch + start.step)
        for metrics in history where metrics.epoch * stepsPerEpoch >= restart { try epoch(metrics) }
    }

    private init(run: URL, networks: [String], stepsPerEpoch: Int, continuingAt restart: Int) throws {
        let now = Date()
        root = try TensorBoardWriter(directory: run, date: now)
        self.networks = try Dictionary(uniqueKeysWithValues: networks.map {
            ($0, try TensorBoardWriter(directory: run.appendingPathComponent($0, isDirectory: true), date: now))
        })
        self.stepsPerEpoch = stepsPerEpoch
        self.restart = restart
        let start = TensorBoardEvent(wallTime: now.timeIntervalSince1970, step: Int64(restart), .sessionStart)
        for writer in [root] + self.networks.values { try writer.write([start]) }
    }

    /// After each step: its loss, every ``stepInterval`` steps.
    func step(_ progress: Trainer.StepProgress) {
        let step = progress.epoch * progress.stepsPerEpoch + progress.step
        guard step % Self.stepInterval == 0, failure == nil else { return }
        do {
            try root.write([TensorBoardScalar("train/step_loss", progress.loss)], step: step)
        } catch {
            failure = error
        }
    }

    /// After each epoch of a one-network run: its scalars, flushed.
    func epoch(_ metrics: EpochMetrics) throws {
        try finish()
        try root.write(Self.scalars(metrics), step: metrics.epoch * stepsPerEpoch)
        try root.flush()
    }

    /// After each epoch of an online run: each network's scalars (and its optimizer steps, `train/updates`)
    /// in its folder, the mode counters at the root; flushed.
    func epoch(_ metrics: OnlineEpochMetrics) throws {
        try finish()
        let step = metrics.epoch * stepsPerEpoch
        for (name, writer) in networks.sorted(by: { $0.key < $1.key }) {
            guard let own = metrics.networks[name] else { continue }
            try writer.write(Self.scalars(own) + [TensorBoardScalar("train/updates", Double(metrics.updates[name] ?? 0))], step: step)
            try writer.flush()
        }
        let counters = metrics.counters.sorted { $0.key < $1.key }.map { TensorBoardScalar(Self.tag("modes", $0.key), Double($0.value)) }
        try root.write([TensorBoardScalar("epoch", Double(metrics.epoch))] + counters, step: step)
        try root.flush()
    }

    /// Throws the failure of a step's write, if one failed.
    func finish() throws {
        if let failure { throw failure }
    }

    /// An epoch's scalars.
    static func scalars(_ metrics: EpochMetrics) -> [TensorBoardScalar] {
        let values: [(String, Double?)] = [
            ("train/loss", metrics.trainLoss), ("train/accuracy", metrics.trainAccuracy), ("test/loss", metrics.testLoss),
            ("test/top1", metrics.testTop1), ("test/top5", metrics.testTop5), ("test/ece", metrics.testCalibrationError),
            ("lr", metrics.learningRate), ("epoch", Double(metrics.epoch)),
            ("fidelity/agreement", metrics.agreement), ("fidelity/predictive_kl", metrics.predictiveKL),
        ]
        return values.compactMap { tag, value in value.map { TensorBoardScalar(tag, $0) } }
    }

    /// `name` under `group` as a tag: a space starts a subgroup, `→` becomes `-`, and what else is
    /// neither a letter, a digit nor `_.-` becomes `_` (TensorBoard's own rule for tags).
    static func tag(_ group: String, _ name: String) -> String {
        let cleaned = name.replacingOccurrences(of: "→", with: "-").replacingOccurrences(of: " ", with: "/").map { character in
            character.isASCII && (character.isLetter || character.isNumber || "_.-/".contains(character)) ? character : "_"
        }
        return group + "/" + String(cleaned)
    }
}
