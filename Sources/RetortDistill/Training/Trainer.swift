import Foundation
import RetortCompute
import RetortData
import RetortNN

/// Supervised training of one classifier (cross-entropy, SGD, a learning-rate schedule) with a run
/// folder: `metrics.jsonl` (one line per epoch), `last` and `best` checkpoints (weights, optimizer
/// state, epoch as run state) and `summary.md`. A run resumes from `last`; same seed, same result.
public final class Trainer {
    public let model: any Classifier
    public let optimizer: any Optimizer
    public let schedule: any LearningRateSchedule
    public let epochs: Int
    public let labelSmoothing: Float
    public let runDirectory: URL
    /// Frozen teachers (evaluation mode, no tape, not in the optimizer); empty for plain training
    /// and self-distillation. ``fit(train:test:from:)`` freezes them and folds their batch norms into
    /// the convolutions before them (``Module/foldBatchNorms()``): the same logits for one
    /// convolution pass per pair.
    public var teachers: [any Classifier] = []
    /// The training objective; by default cross-entropy with `labelSmoothing`. Parameters it owns
    /// (CRD's heads) must be in `optimizer` too. Its ``DistillationLoss/state`` is saved with every
    /// `last` checkpoint (``objectiveURL(for:)``) and restored by ``resume()``.
    public var objective: any DistillationLoss
    /// Mixes each training batch (MIX-KD) before the student and teachers see it; the objective
    /// then reads soft targets from ``DistillationStep/targets``.
    public var mixUp: MixUp?
    /// Seeds MixUp per (epoch, step), so a resumed run mixes as an uninterrupted one.
    public var seed: UInt64 = 0
    /// Stops the run when two epochs in a row end at chance accuracy on both the training batches
    /// and the test split (``CollapseGuard``): the network has collapsed to a constant prediction
    /// (what DKD does with a short warm-up), which a NaN check cannot see because the loss stays finite.
    public var stopsOnCollapse = true
    /// Keeps the weights after every `saveEvery`-th epoch as `epoch-<n>.safetensors` (n = 1-based
    /// epoch), beside `last` and `best`: intermediate teachers for a sweep.
    public var saveEvery: Int?
    /// Also saves `last` after every `saveEverySteps`-th step of an epoch (besides the end of every
    /// epoch), so a crash loses at most that many steps instead of up to an epoch.
    public var saveEverySteps: Int?

    /// Trains data-parallel over the ranks of a job (``DataParallel``): nil for one process. Only
    /// rank 0 writes the run folder; the others take its weights and resume point at the start.
    public var dataParallel: DataParallel?
    /// Runs each step's batch (this rank's share, data-parallel) as this many ghost batches: batch norm
    /// normalizes each separately and their gradients are averaged as data-parallel ranks' are, so one
    /// process with N ghost batches trains as N ranks with per-rank batch statistics do (running
    /// statistics from the first ghost batch, as DDP keeps rank 0's). 1: off.
    public var ghostBatches = 1

    /// What the forward passes compute in: fp32, or fp16/bf16 mixed precision (the models' matrix ops
    /// under ``Context/autocast(_:_:)``, fp32 master weights and optimizer state, fp32 losses). fp16
    /// also scales the loss (``lossScaler``); the checkpoints stay fp32.
    public var precision: Precision = .float32 {
        didSet { lossScaler = precision == .float16 ? LossScaler() : nil }
    }
    /// fp16's dynamic loss scaling (GradScaler's semantics), made by setting ``precision``; set your own
    /// for other factors or intervals. Its state is part of `last`'s run state.
    public var lossScaler: LossScaler?

    /// Recorded in the metadata of every checkpoint the run saves, beside the run state (the input
    /// normalization, the label smoothing), so `eval`, `predict` and `distill` can read them back.
    public var checkpointMetadata: [String: String] = [:]

    /// Called after every epoch once its metrics and checkpoints are written (in the process that
    /// writes the run folder): the CLI writes the run's report and TensorBoard scalars from it.
    public var onEpoch: ((EpochMetrics) throws -> Void)?

    /// Called after every step; the CLI draws progress from it.
    public var onStep: ((StepProgress) -> Void)?

    /// Where training is, after a step.
    public struct StepProgress: Sendable {
        public var epoch: Int
        public var step: Int
        public var stepsPerEpoch: Int
        public var loss: Float
        /// Training accuracy over this epoch's steps so far.
        public var accuracy: Double
    }
    /// Checked after every step: when it returns true, the trainer saves `last` and stops.
    public var shouldStop: () -> Bool = { false }

    public private(set) var history: [EpochMetrics] = []

    public init(model: any Classifier, optimizer: any Optimizer, schedule: any LearningRateSchedule, epochs: Int,
                labelSmoothing: Float = 0, runDirectory: URL) {
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
        self.epochs = epochs
        self.labelSmoothing = labelSmoothing
        self.runDirectory = runDirectory
        objective = CrossEntropyLoss(labelSmoothing: labelSmoothing)
    }

    /// Where ``saveEvery`` keeps the weights after `epoch` (1-based).
    public static func intermediateURL(epoch: Int, in runDirectory: URL) -> URL {
        runDirectory.appendingPathComponent("epoch-\(epoch).safetensors")
    }

    /// Where the objective's state goes beside a checkpoint: `last.safetensors` →
    /// `last.objective.safetensors` (its optimizer state in `last.objective.optimizer.safetensors`).
    public static func objectiveURL(for checkpoint: URL) -> URL {
        checkpoint.deletingPathExtension().appendingPathExtension("objective").appendingPathExtension("safetensors")
    }

    /// Where the test split's details of the `best` checkpoint go (``TestSplitDetails``).
    public static func bestTestURL(in runDirectory: URL) -> URL { runDirectory.appendingPathComponent("best-test.json") }

    var lastURL: URL { runDirectory.appendingPathComponent("last.safetensors") }
    var bestURL: URL { runDirectory.appendingPathComponent("best.safetensors") }
    var metricsURL: URL { runDirectory.appendingPathComponent("metrics.jsonl") }

    /// Where a run continues: the epoch, the steps of it already done, and that epoch's running
    /// sums (so its metrics come out as in an uninterrupted run).
    public struct ResumePoint: Equatable, Sendable {
        public var epoch = 0
        public var step = 0
        var lossSum = 0.0, correct = 0, seen = 0

        public static let start = ResumePoint()

        var runState: [String: String] {
            ["epoch": "\(epoch)", "step": "\(step)", "loss_sum": "\(lossSum)", "correct": "\(correct)", "seen": "\(seen)"]
        }

        /// The point a checkpoint's run state records, or nil without an epoch and step.
        init?(runState state: [String: String]) {
            guard let epoch = state["epoch"].flatMap(Int.init), let step = state["step"].flatMap(Int.init) else { return nil }
            self.init(epoch: epoch, step: step, lossSum: state["loss_sum"].flatMap(Double.init) ?? 0,
                      correct: state["correct"].flatMap(Int.init) ?? 0, seen: state["seen"].flatMap(Int.init) ?? 0)
        }

        init(epoch: Int = 0, step: Int = 0, lossSum: Double = 0, correct: Int = 0, seen: Int = 0) {
            (self.epoch, self.step, self.lossSum, self.correct, self.seen) = (epoch, step, lossSum, correct, seen)
        }
    }

    /// Restores `last` and the metrics so far; returns where to continue. Finishes or drops a
    /// checkpoint write a crash interrupted first (``Checkpoint/recover(in:)``). A folder without
    /// `last` (a run stopped before its first checkpoint) continues from the start.
    public func resume() throws -> ResumePoint {
        try Checkpoint.recover(in: runDirectory)
        guard FileManager.default.fileExists(atPath: lastURL.path) else {
            history = []
            return .start
        }
        let state = try Checkpoint.load(into: model, optimizer: optimizer, from: lastURL)
        guard let point = ResumePoint(runState: state) else {
            throw TrainingError.invalidRunDirectory("\(lastURL.path) does not record its epoch and step")
        }
        try resumeObjective(savedWith: state)
        lossScaler?.restore(from: state)
        let lines = (try? String(contentsOf: metricsURL, encoding: .utf8))?.split(separator: "\n") ?? []
        history = try lines.prefix(point.epoch).map { try JSONDecoder().decode(EpochMetrics.self, from: Data($0.utf8)) }
        return point
    }

    /// Trains from `start` to `epochs`, evaluating on `test` after each epoch. A training batch
    /// holding NaN or ±inf stops the run before its step (``TrainingError/nonFiniteInput(epoch:step:image:value:)``).
    /// Data-parallel, every rank calls it; rank 0's `start` (and weights) count.
    @discardableResult
    public func fit(train: any BatchSource, test: any BatchSource, from start: ResumePoint = .start) throws -> [EpochMetrics] {
        let train = FiniteInputCheck(train)
        let writes = dataParallel?.isMain ?? true
        if writes { try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true) }
        var start = start
        let pieces = (dataParallel?.group.size ?? 1) * max(ghostBatches, 1)
        if pieces > 1, let coupled = mixUp != nil ? MixUpDistillation.distillationMethod.name : objective.batchCoupledTerm {
            throw TrainingError.batchCoupled(loss: coupled, ranks: pieces)
        }
        if let dataParallel {
            let state = try dataParallel.broadcast(model: model, optimizer: optimizer, runState: start.runState)
            start = ResumePoint(runState: state) ?? start
            if let objectiveState = objective.state {
                try dataParallel.broadcast(model: objectiveState, optimizer: optimizer, runState: [:])
            }
        }
        for teacher in teachers {
            try teacher.freeze()
            try teacher.foldBatchNorms()
        }
        for epoch in start.epoch..<epochs {
            let started = Date()
            optimizer.learningRate = schedule.learningRate(epoch: epoch)
            model.train()
            for teacher in teachers { teacher.eval() }
            let batches = try train.epochBatches(epoch)
            let resuming = epoch == start.epoch
            var classes = 0
            var lossSum = resuming ? start.lossSum : 0, correct = resuming ? start.correct : 0, seen = resuming ? start.seen : 0
            for (step, batch) in batches.enumerated() where !resuming || step >= start.step {
                let sharded = dataParallel != nil || ghostBatches > 1
                let outcome = sharded ? try shardedStep(batch, epoch: epoch, step: step) : try wholeStep(batch, epoch: epoch, step: step)
                classes = outcome.classes > 0 ? outcome.classes : classes
                correct += outcome.correct
                lossSum += Double(outcome.loss) * Double(batch.count)
                seen += batch.count
                onStep?(StepProgress(epoch: epoch, step: step, stepsPerEpoch: train.batchesPerEpoch, loss: outcome.loss,
                                     accuracy: Double(correct) / Double(max(seen, 1))))
                let point = ResumePoint(epoch: epoch, step: step + 1, lossSum: lossSum, correct: correct, seen: seen)
                if outcome.stops ?? shouldStop() {
                    if writes { try save(point, to: lastURL) }
                    return history
                }
                if writes, let saveEverySteps, (step + 1) % saveEverySteps == 0, step + 1 < train.batchesPerEpoch {
                    try save(point, to: lastURL)
                }
            }
            try train.check()
            if let dataParallel {
                try dataParallel.checkReplicasAgree(model)
                try dataParallel.broadcastBuffers(of: model)
            }
            let (evaluation, fidelity) = try evaluateWithFidelity(test)
            let (testLoss, top1, top5) = (evaluation.loss, evaluation.top1, evaluation.top5)
            let seconds = Date().timeIntervalSince(started)
            let trainAccuracy = Double(correct) / Double(max(seen, 1))
            try collapse.record(epoch: epoch, trainAccuracy: trainAccuracy, testAccuracy: top1, classes: classes, stops: stopsOnCollapse)
            let metrics = EpochMetrics(epoch: epoch + 1, learningRate: optimizer.learningRate, trainLoss: lossSum / Double(max(seen, 1)),
                                       trainAccuracy: Double(correct) / Double(max(seen, 1)), testLoss: testLoss, testTop1: top1,
                                       testTop5: top5, seconds: seconds, imagesPerSecond: Double(seen) / seconds,
                                       testCalibrationError: evaluation.calibrationError, agreement: fidelity?.agreement,
                                       predictiveKL: fidelity?.predictiveKL)
            let next = ResumePoint(epoch: epoch + 1)
            guard writes else {
                history.append(metrics)
                continue
            }
            if top1 > (history.map(\.testTop1).max() ?? -1) {
                try save(next, to: bestURL)
                try TestSplitDetails(epoch: epoch + 1, evaluation).write(to: Self.bestTestURL(in: runDirectory))
            }
            history.append(metrics)
            if let saveEvery, saveEvery > 0, (epoch + 1) % saveEvery == 0 {
                try Checkpoint.save(model: model, optimizer: nil, runState: runState(next).merging(["test_top1": "\(top1)"]) { $1 },
                                    to: Self.intermediateURL(epoch: epoch + 1, in: runDirectory))
            }
            try writeSummary()
            // Last, the metrics and `last` as one: the epoch is done once they are (a crash before
            // repeats it, rewriting the files above the same way); never a missing or repeated line.
            try Checkpoint.save(lastEntries(next), with: [(try JSONLines.data(history), metricsURL)])
            try onEpoch?(metrics)
        }
        return history
    }

    /// One step on the whole batch in this process (mixed first with MixUp): forward, backward and the
    /// optimizer step recorded, then one submit for the loss and the correct count.
    private func wholeStep(_ batch: Batch, epoch: Int, step: Int) throws -> StepOutcome {
        let context = model.parameters()[0].context
        var images = batch.images, targets: Tensor?
        if let mixUp {
            var generator = SplitMix64(seed: seed ^ (UInt64(epoch) << 40) ^ UInt64(step))
            let mixed = mixUp.mix(images: images, labels: batch.labels, generator: &generator)
            images = mixed.images
            targets = try Tensor(mixed.targets, shape: [batch.labels.count, mixUp.classes], context: context)
        }
        let x = try Tensor(images, shape: batch.shape, context: context)
        try optimizer.zeroGrad()
        let student = try model.features(x, precision: precision)
        let teacherTaps = try context.noGrad { try teachers.map { try $0.features(x, precision: precision) } }
        let stepInputs = DistillationStep(student: student, teachers: teacherTaps, labels: batch.labels, indices: batch.indices,
                                          epoch: epoch, targets: targets, model: model)
        let logits = student.logits
        let loss = try objective.loss(stepInputs)
        if try LossScaler.backward(loss, parameters: optimizer.groups.flatMap(\.parameters), scaler: &lossScaler) {
            try optimizer.step()
            try context.noGrad { try objective.update(after: stepInputs) }
        }
        let stepCorrect = try logits.topKCorrect(labels: batch.labels, k: 1)  // read after the step's one submit
        let value = try loss.item()
        guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step, value: value) }
        return StepOutcome(loss: value, correct: try stepCorrect.value(), classes: logits.shape[1], stops: nil)
    }

    /// Mean loss, top-1 and top-5 accuracy in evaluation mode.
    public func evaluate(_ source: any BatchSource) throws -> (loss: Double, top1: Double, top5: Double) {
        defer { model.train() }
        let result = try Evaluation.run(model, on: source, dataParallel: dataParallel, precision: precision)
        return (result.loss, result.top1, result.top5)
    }

    /// The test evaluation of an epoch: the student's metrics and, with teachers, its fidelity to them
    /// (the teachers' test logits are computed once; they are frozen).
    func evaluateWithFidelity(_ source: any BatchSource) throws -> (evaluation: Evaluation, fidelity: Fidelity?) {
        defer { model.train() }
        let result = try Evaluation.run(model, on: source, keepLogits: !teachers.isEmpty, dataParallel: dataParallel, precision: precision)
        guard !teachers.isEmpty else { return (result, nil) }
        if teacherTestLogits == nil {
            teacherTestLogits = try teachers.map {
                try Evaluation.run($0, on: source, keepLogits: true, dataParallel: dataParallel, precision: precision).logits
            }
        }
        let classes = result.labels.isEmpty ? 0 : result.logits.count / result.labels.count
        return (result, Fidelity(student: result.logits, teachers: teacherTestLogits ?? [], classes: classes))
    }

    private var teacherTestLogits: [[Float]]?
    private var collapse = CollapseGuard()

    /// Rows whose label is among the k largest logits (ties counted as PyTorch's topk would not
    /// exclude them: fewer than k strictly greater values).
    public static func topK(_ logits: [Float], labels: [Int], k: Int) throws -> Int {
        guard !labels.isEmpty else { return 0 }
        let classes = logits.count / labels.count
        return labels.enumerated().filter { row, label in
            let scores = logits[row * classes..<(row + 1) * classes]
            let target = scores[scores.startIndex + label]
            return scores.filter { $0 > target }.count < k
        }.count
    }

    /// `best` is the student alone; `last` also holds the objective's state.
    private func save(_ point: ResumePoint, to url: URL) throws {
        guard url == lastURL else { return try Checkpoint.save(model: model, optimizer: optimizer, runState: runState(point), to: url) }
        try Checkpoint.save(lastEntries(point))
    }

    /// `last`: the student with its optimizer state and, for an objective with state, that state with
    /// the optimizer state of its parameters, all with the same run state (written as one).
    private func lastEntries(_ point: ResumePoint) -> [Checkpoint.Entry] {
        var entries = [Checkpoint.Entry(model: model, optimizer: optimizer, runState: runState(point), url: lastURL)]
        if let state = objective.state {
            entries.append(Checkpoint.Entry(model: state, optimizer: optimizer, runState: runState(point),
                                            url: Self.objectiveURL(for: lastURL)))
        }
        return entries
    }

    /// Restores the objective's state saved with `last` (strictly: every name and shape, finite
    /// values, the same run state as `last`).
    private func resumeObjective(savedWith runState: [String: String]) throws {
        guard let state = objective.state else { return }
        let url = Self.objectiveURL(for: lastURL)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.invalidRunDirectory("\(url.path) is missing: \(lastURL.lastPathComponent) was saved without the state of "
                                                    + "\(objective.name) (its heads, memories, …), so the run cannot continue as it was; "
                                                    + "start it over with --force")
        }
        let saved = try Checkpoint.load(into: state, optimizer: optimizer, from: url)
        guard saved == runState else {
            throw TrainingError.invalidRunDirectory("\(url.path) was saved at another step than \(lastURL.path) (\(saved) against "
                                                    + "\(runState)); the run folder was changed by hand; start it over with --force")
        }
    }

    /// A checkpoint's metadata: `point`'s run state and ``checkpointMetadata``.
    private func runState(_ point: ResumePoint) -> [String: String] {
        checkpointMetadata.merging(point.runState) { $1 }.merging(lossScaler?.runState ?? [:]) { $1 }
    }

    private func writeSummary() throws {
        guard let last = history.last, let best = history.max(by: { $0.testTop1 < $1.testTop1 }) else { return }
        var text = "# Run summary\n\n"
        text += "- epochs: \(last.epoch) of \(epochs)\n"
        text += String(format: "- last: test top-1 %.2f%%, top-5 %.2f%%, loss %.4f\n", last.testTop1 * 100, last.testTop5 * 100, last.testLoss)
        text += String(format: "- best: test top-1 %.2f%% at epoch %d (best.safetensors)\n\n", best.testTop1 * 100, best.epoch)
        text += "- objective: \(objective.name)\n\n"
        let fidelity = !teachers.isEmpty
        text += "| epoch | lr | train loss | train acc | test NLL | top-1 | top-5 | ECE |" + (fidelity ? " agreement | pred. KL |" : "")
            + " s | images/s |\n|---|---|---|---|---|---|---|---|" + (fidelity ? "---|---|" : "") + "---|---|\n"
        for m in history {
            text += String(format: "| %d | %.5f | %.4f | %.2f%% | %.4f | %.2f%% | %.2f%% | %.4f |", m.epoch, m.learningRate, m.trainLoss,
                           m.trainAccuracy * 100, m.testLoss, m.testTop1 * 100, m.testTop5 * 100, m.testCalibrationError ?? .nan)
            if fidelity { text += String(format: " %.2f%% | %.4f |", (m.agreement ?? .nan) * 100, m.predictiveKL ?? .nan) }
            text += String(format: " %.1f | %.0f |\n", m.seconds, m.imagesPerSecond)
        }
        try AtomicFile.write(text, to: runDirectory.appendingPathComponent("summary.md"))
    }
}
