import Foundation
import RetortCompute
import RetortData
import RetortNN

/// Online co-training (DML, SwitOKD, BD-KD, SOKD): K networks trained in the same steps on the same
/// batches, each with its own optimizer and learning-rate schedule.
///
/// Each step runs every network in training mode on the batch (``OnlineObjective/forward(_:input:)``),
/// asks the objective for each network's loss (nil: that network does not step on this batch),
/// back-propagates the sum of the losses once (each loss reads its peers detached, so each network
/// gets the gradient of its own loss) and steps only the optimizers of the networks that got a loss.
///
/// Run folder:
/// - `metrics.jsonl`: one ``OnlineEpochMetrics`` per epoch, every network's metrics under its name;
/// - `<name>.last.safetensors` and `<name>.best.safetensors` per network (weights; optimizer state
///   beside them as `<name>.last.optimizer.safetensors`; atomic writes), best by that network's test top-1;
/// - `modes.csv` for switching objectives: `epoch,step,mode,<diagnostics>` per step (1-based epoch and step);
///   with several switches (SwitOKD's pairs) each switch's columns are prefixed by its name (`T→S1 mode`, `T→S1 G`, …);
/// - `frozen.json`: frozen networks' test metrics, measured once before the first epoch;
/// - `summary.md`: a per-network table.
///
/// A run resumes at the step of its `last` checkpoints (saved together, at the end of every epoch,
/// every ``saveEverySteps`` steps and when ``shouldStop`` stops it) with that epoch's running sums,
/// so a resumed run ends with the same weights and metrics as an uninterrupted one. The objectives
/// keep no state between steps other than each switch's mode, which is saved with the sums.
public final class OnlineTrainer {
    public let networks: [OnlineNetwork]
    public let objective: any OnlineObjective
    public let epochs: Int
    public let runDirectory: URL
    /// Networks that do not train (SOKD's teacher), evaluated once before the first epoch and
    /// reported beside the trained ones.
    public var frozen: [(name: String, model: any Classifier)] = []
    /// Called after every step with the sum of the step's losses and the networks' mean training
    /// accuracy so far this epoch.
    public var onStep: ((Trainer.StepProgress) -> Void)?
    /// Called after every epoch once its metrics and checkpoints are written: the CLI writes the
    /// run's report and TensorBoard scalars from it.
    public var onEpoch: ((OnlineEpochMetrics) throws -> Void)?
    /// Checked after every step: when it returns true, training saves the `last` checkpoints and stops.
    public var shouldStop: () -> Bool = { false }
    /// Also saves the `last` checkpoints after every `saveEverySteps`-th step of an epoch, so a crash
    /// loses at most that many steps instead of up to an epoch.
    public var saveEverySteps: Int?
    /// Stops the run after an epoch that is the second in a row at which a network ends at chance
    /// accuracy on its training batches and the test split (``CollapseGuard``); its checkpoints are kept.
    public var stopsOnCollapse = true
    /// Recorded in the metadata of every checkpoint beside the run state (the input normalization, the
    /// label smoothing), as ``Trainer/checkpointMetadata``.
    public var checkpointMetadata: [String: String] = [:]
    /// fp32, or fp16/bf16 mixed precision for every network (as ``Trainer/precision``; one loss scaler
    /// for all of them under fp16, saved in the `last` checkpoints' run state).
    public var precision: Precision = .float32 {
        didSet { lossScaler = precision == .float16 ? LossScaler() : nil }
    }
    public var lossScaler: LossScaler?
    private var collapse: [String: CollapseGuard] = [:]

    public private(set) var history: [OnlineEpochMetrics] = []
    public private(set) var frozenMetrics: [String: FrozenNetworkMetrics] = [:]
    /// Each switch's mode on the latest step (switch counting continues across epochs and resumes).
    private var lastModes: [String] = []
    /// The objective's switches, named (``OnlineObjective/switchNames(networks:)``).
    private let switchNames: [String]

    /// - Throws: when names repeat or are not usable as file names, or the objective takes another
    ///   number of networks.
    public init(networks: [OnlineNetwork], objective: any OnlineObjective, epochs: Int, runDirectory: URL) throws {
        let names = networks.map(\.name)
        guard Set(names).count == names.count else {
            throw DistillationError.invalidConfiguration("network names must be unique in a run; got \(names.joined(separator: ", "))")
        }
        if let bad = names.first(where: { $0.isEmpty || $0.contains("/") || $0.hasPrefix(".") }) {
            throw DistillationError.invalidConfiguration("network name '\(bad)' cannot name a checkpoint file")
        }
        guard objective.networkCount.contains(networks.count) else {
            let count = objective.networkCount
            throw DistillationError.invalidConfiguration("\(objective.name) trains \(count.upperBound == Int.max ? "\(count.lowerBound) or more" : "\(count.lowerBound)") networks; got \(networks.count)")
        }
        self.networks = networks
        self.objective = objective
        self.epochs = epochs
        self.runDirectory = runDirectory
        switchNames = objective.switchNames(networks: names)
    }

    /// The prefix of switch `index`'s `modes.csv` columns and counters: its name and a space, or nothing.
    private func prefix(_ index: Int) -> String { switchNames[index].isEmpty ? "" : switchNames[index] + " " }

    /// Where network `name`'s last checkpoint is.
    public func lastURL(_ name: String) -> URL { runDirectory.appendingPathComponent("\(name).last.safetensors") }
    /// Where network `name`'s best checkpoint (by its test top-1) is.
    public func bestURL(_ name: String) -> URL { runDirectory.appendingPathComponent("\(name).best.safetensors") }
    var metricsURL: URL { runDirectory.appendingPathComponent("metrics.jsonl") }
    var modesURL: URL { runDirectory.appendingPathComponent("modes.csv") }
    var frozenURL: URL { runDirectory.appendingPathComponent("frozen.json") }

    // MARK: Resume

    /// Restores every network's `last` checkpoint (weights, optimizer), the metrics so far and the
    /// running sums; returns where to continue. Finishes or drops a checkpoint write a crash
    /// interrupted first (``Checkpoint/recover(in:)``). A folder without `last` checkpoints (a run
    /// stopped before its first one) continues from the start.
    public func resume() throws -> OnlineResumePoint {
        try Checkpoint.recover(in: runDirectory)
        guard networks.contains(where: { FileManager.default.fileExists(atPath: lastURL($0.name).path) }) else {
            history = []
            return .start
        }
        var points: [String: OnlineResumePoint] = [:]
        for network in networks {
            let url = lastURL(network.name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw TrainingError.invalidRunDirectory("\(runDirectory.path) has no \(url.lastPathComponent) to resume from")
            }
            let state = try Checkpoint.load(into: network.model, optimizer: network.optimizer, from: url)
            lossScaler?.restore(from: state)
            guard let point = OnlineResumePoint(runState: state, networks: networks.count) else {
                throw TrainingError.invalidRunDirectory("\(url.path) does not record its epoch, step and running sums")
            }
            points[network.name] = point
        }
        guard let point = points.values.first, points.values.allSatisfy({ $0 == point }) else {
            let found = points.sorted { $0.key < $1.key }.map { "\($0.key): epoch \($0.value.epoch + 1) step \($0.value.step)" }
            throw TrainingError.invalidRunDirectory("the last checkpoints in \(runDirectory.path) are from different steps "
                                                    + "(\(found.joined(separator: ", "))); start a new run")
        }
        lastModes = point.modes
        let lines = (try? String(contentsOf: metricsURL, encoding: .utf8))?.split(separator: "\n") ?? []
        history = try lines.prefix(point.epoch).map { try JSONDecoder().decode(OnlineEpochMetrics.self, from: Data($0.utf8)) }
        if let data = try? Data(contentsOf: frozenURL) {
            frozenMetrics = try JSONDecoder().decode([String: FrozenNetworkMetrics].self, from: data)
        }
        // Keep the mode rows written before the point: complete rows only (a kill can cut the last one).
        if let text = try? String(contentsOf: modesURL, encoding: .utf8) {
            let rows = text.split(separator: "\n", omittingEmptySubsequences: false)
            let columns = rows.first?.split(separator: ",", omittingEmptySubsequences: false).count ?? 0
            let kept = rows.prefix(1) + rows.dropFirst().filter { row in
                let fields = row.split(separator: ",", omittingEmptySubsequences: false)
                guard fields.count == columns, let epoch = Int(fields[0]), let step = Int(fields[1]) else { return false }
                return point.precedes(rowEpoch: epoch, rowStep: step)
            }
            try (kept.joined(separator: "\n") + "\n").write(to: modesURL, atomically: true, encoding: .utf8)
        }
        return point
    }

    // MARK: Training

    /// Trains from `start` to `epochs`, evaluating every network on `test` after each epoch. A
    /// training batch holding NaN or ±inf stops the run before its step; a network that collapses to
    /// chance accuracy stops it after the epoch (``stopsOnCollapse``).
    @discardableResult
    public func fit(train: any BatchSource, test: any BatchSource, from start: OnlineResumePoint = .start) throws -> [OnlineEpochMetrics] {
        let train = FiniteInputCheck(train)
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        let context = networks[0].model.parameters()[0].context
        let models = networks.map(\.model)
        if start.epoch == 0, start.step == 0 {
            try evaluateFrozen(test)
            if !switchNames.isEmpty {
                let columns = switchNames.indices.flatMap { index in (["mode"] + objective.diagnosticKeys).map { prefix(index) + $0 } }
                try (["epoch", "step"] + columns).joined(separator: ",").appending("\n")
                    .write(to: modesURL, atomically: true, encoding: .utf8)
            }
        }
        let count = networks.count
        for epoch in start.epoch..<epochs {
            let started = Date()
            for network in networks {
                network.optimizer.learningRate = network.schedule.learningRate(epoch: epoch)
                network.model.train()
            }
            var lossSums = [Double](repeating: 0, count: count), lossSeen = [Int](repeating: 0, count: count)
            var correct = [Int](repeating: 0, count: count), updates = [Int](repeating: 0, count: count), seen = 0
            var counters = Dictionary(uniqueKeysWithValues: switchNames.indices.flatMap { index in
                (objective.modes.map { "\($0)_steps" } + ["switches"]).map { (prefix(index) + $0, 0) }
            })
            let resuming = epoch == start.epoch && start.step > 0
            if resuming {
                (lossSums, lossSeen, correct, updates, seen, counters) = (start.lossSums, start.lossSeen, start.correct, start.updates,
                                                                          start.seen, start.counters)
            }
            var modeRows: [String] = []
            /// Saves the `last` checkpoints at this point of the epoch (after its mode rows).
            func saveLast(step: Int) throws {
                if !modeRows.isEmpty { try append(modeRows.joined(separator: "\n") + "\n", to: modesURL) }
                modeRows = []
                let point = OnlineResumePoint(epoch: epoch, step: step, lossSums: lossSums, lossSeen: lossSeen, correct: correct,
                                              updates: updates, seen: seen, counters: counters, modes: lastModes)
                try saveLastCheckpoints(point)
            }
            for (step, batch) in try train.epochBatches(epoch).enumerated() where !resuming || step >= start.step {
                let x = try Tensor(batch.images, shape: batch.shape, context: context)
                for network in networks { try network.optimizer.zeroGrad() }
                let forward = try context.autocast(precision) { try objective.forward(models, input: x) }
                let (logits, frozenLogits) = (try forward.logits.map { try $0.float32() }, try forward.frozenLogits.map { try $0.float32() })
                let result = try objective.losses(OnlineStep(logits: logits, frozenLogits: frozenLogits, labels: batch.labels,
                                                             epoch: epoch, step: step))
                guard result.losses.count == count else {
                    throw DistillationError.invalidConfiguration("\(objective.name) returned \(result.losses.count) losses for \(count) networks")
                }
                let stepping = result.losses.indices.filter { result.losses[$0] != nil }
                guard let first = stepping.first else {
                    throw DistillationError.invalidConfiguration("\(objective.name) trained no network at epoch \(epoch + 1), step \(step + 1)")
                }
                let total = try stepping.dropFirst().reduce(result.losses[first]!) { try $0 + result.losses[$1]! }
                if try LossScaler.backward(total, parameters: stepping.flatMap { networks[$0].optimizer.groups.flatMap(\.parameters) },
                                           scaler: &lossScaler) {
                    for index in stepping { try networks[index].optimizer.step() }
                }
                let stepCorrect = try logits.map { try $0.topKCorrect(labels: batch.labels, k: 1) }  // read after the step's submit

                let batchSize = batch.labels.count
                var stepLoss: Float = 0
                for index in stepping {
                    let value = try result.losses[index]!.item()
                    guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step, value: value) }
                    stepLoss += value
                    lossSums[index] += Double(value) * Double(batchSize)
                    lossSeen[index] += batchSize
                    updates[index] += 1
                }
                for (index, count) in stepCorrect.enumerated() { correct[index] += try count.value() }
                seen += batchSize
                if !switchNames.isEmpty {
                    try recordModes(result, counters: &counters, epoch: epoch, step: step, rows: &modeRows)
                }
                onStep?(Trainer.StepProgress(epoch: epoch, step: step, stepsPerEpoch: train.batchesPerEpoch, loss: stepLoss,
                                             accuracy: Double(correct.reduce(0, +)) / Double(max(seen * count, 1))))
                if shouldStop() {
                    try saveLast(step: step + 1)
                    return history
                }
                if let saveEverySteps, (step + 1) % saveEverySteps == 0, step + 1 < train.batchesPerEpoch { try saveLast(step: step + 1) }
            }
            try train.check()
            let seconds = Date().timeIntervalSince(started)
            let evaluations = try networks.map { try Evaluation.run($0.model, on: test, keepLogits: true, precision: precision) }
            for network in networks { network.model.train() }
            var perNetwork: [String: EpochMetrics] = [:], perNetworkUpdates: [String: Int] = [:]
            for (index, network) in networks.enumerated() {
                let evaluation = evaluations[index]
                let classes = evaluation.labels.isEmpty ? 0 : evaluation.logits.count / evaluation.labels.count
                let peers = evaluations.enumerated().filter { $0.offset != index }.map(\.element.logits)
                let fidelity = Fidelity(student: evaluation.logits, teachers: peers, classes: classes)
                perNetwork[network.name] = EpochMetrics(
                    epoch: epoch + 1, learningRate: network.optimizer.learningRate, trainLoss: lossSums[index] / Double(max(lossSeen[index], 1)),
                    trainAccuracy: Double(correct[index]) / Double(max(seen, 1)), testLoss: evaluation.loss, testTop1: evaluation.top1,
                    testTop5: evaluation.top5, seconds: seconds, imagesPerSecond: Double(seen) / max(seconds, 1e-9),
                    testCalibrationError: evaluation.calibrationError, agreement: fidelity.agreement, predictiveKL: fidelity.predictiveKL)
                perNetworkUpdates[network.name] = updates[index]
            }
            let metrics = OnlineEpochMetrics(epoch: epoch + 1, seconds: seconds, networks: perNetwork, updates: perNetworkUpdates, counters: counters)
            if !modeRows.isEmpty { try append(modeRows.joined(separator: "\n") + "\n", to: modesURL) }
            let runState = checkpointMetadata.merging(OnlineResumePoint(epoch: epoch + 1, modes: lastModes).runState) { $1 }
            for network in networks {
                let top1 = perNetwork[network.name]?.testTop1 ?? 0
                if top1 > (history.compactMap { $0.networks[network.name]?.testTop1 }.max() ?? -1) {
                    try Checkpoint.save(model: network.model, optimizer: network.optimizer, runState: runState, to: bestURL(network.name))
                }
            }
            // A collapsed epoch is never committed: the guard throws before its metrics and checkpoints.
            for (index, network) in networks.enumerated() where stopsOnCollapse {
                let evaluation = evaluations[index]
                try collapse[network.name, default: CollapseGuard(network: network.name)].record(
                    epoch: epoch, trainAccuracy: Double(correct[index]) / Double(max(seen, 1)), testAccuracy: evaluation.top1,
                    classes: evaluation.labels.isEmpty ? 0 : evaluation.logits.count / evaluation.labels.count)
            }
            history.append(metrics)
            try writeSummary()
            // Last, the metrics and the `last` checkpoints as one: the epoch is done once they are.
            try saveLastCheckpoints(OnlineResumePoint(epoch: epoch + 1, modes: lastModes),
                                    with: [(try JSONLines.data(history), metricsURL)])
            try onEpoch?(metrics)
        }
        return history
    }

    /// Each network's best epoch (by its test top-1) so far.
    public func best(_ name: String) -> EpochMetrics? {
        history.compactMap { $0.networks[name] }.max { $0.testTop1 < $1.testTop1 }
    }

    /// Counts one step's modes (`<switch> <mode>_steps`, `<switch> switches`) and adds its `modes.csv` row.
    private func recordModes(_ result: OnlineLosses, counters: inout [String: Int], epoch: Int, step: Int, rows: inout [String]) throws {
        guard result.modes.count == switchNames.count else {
            throw DistillationError.invalidConfiguration(
                "\(objective.name) reported \(result.modes.count) modes for \(switchNames.count) switches")
        }
        var fields = ["\(epoch + 1)", "\(step + 1)"]
        for (index, mode) in result.modes.enumerated() {
            counters[prefix(index) + "\(mode)_steps", default: 0] += 1
            if lastModes.count == switchNames.count, lastModes[index] != mode { counters[prefix(index) + "switches", default: 0] += 1 }
            let diagnostics = index < result.diagnostics.count ? result.diagnostics[index] : [:]
            fields += [mode] + objective.diagnosticKeys.map { diagnostics[$0].map { "\($0)" } ?? "" }
        }
        lastModes = result.modes
        rows.append(fields.joined(separator: ","))
    }

    // MARK: Run folder

    /// Every network's `last` checkpoint with `point` as run state, written as one.
    private func saveLastCheckpoints(_ point: OnlineResumePoint, with files: [(contents: Data, url: URL)] = []) throws {
        let runState = checkpointMetadata.merging(point.runState) { $1 }.merging(lossScaler?.runState ?? [:]) { $1 }
        try Checkpoint.save(networks.map { Checkpoint.Entry(model: $0.model, optimizer: $0.optimizer, runState: runState,
                                                            url: lastURL($0.name)) }, with: files)
    }

    private func evaluateFrozen(_ test: any BatchSource) throws {
        guard !frozen.isEmpty else { return }
        for (name, model) in frozen {
            let evaluation = try Evaluation.run(model, on: test, precision: precision)
            frozenMetrics[name] = FrozenNetworkMetrics(testLoss: evaluation.loss, testTop1: evaluation.top1, testTop5: evaluation.top5,
                                                       testCalibrationError: evaluation.calibrationError)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(frozenMetrics).write(to: frozenURL, options: .atomic)
    }

    private func append(_ text: String, to url: URL) throws {
        guard let handle = try? FileHandle(forWritingTo: url) else {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }


    private func writeSummary() throws {
        guard let last = history.last else { return }
        var text = "# Online run summary\n\n"
        text += "- method: \(objective.name)\n"
        text += "- epochs: \(last.epoch) of \(epochs)\n"
        text += "- networks: \(networks.map(\.name).joined(separator: ", "))"
            + " (checkpoints `<name>.last.safetensors`, `<name>.best.safetensors`)\n"
        if switchNames.count > 1 {
            text += "- switches (one per teacher→student pair; counters and `modes.csv` columns by pair): "
                + switchNames.joined(separator: ", ") + "\n"
        }
        text += "\n"
        text += "| network | last top-1 | best top-1 (epoch) | top-5 | test NLL | ECE | train loss | train acc | agreement | pred. KL | updates |\n"
        text += "|---|---|---|---|---|---|---|---|---|---|---|\n"
        for network in networks {
            guard let m = last.networks[network.name], let best = best(network.name) else { continue }
            text += "| \(network.name) " + String(format: "| %.2f%% | %.2f%% (%d) | %.2f%% | %.4f | %.4f | %.4f | %.2f%% | %.2f%% | %.4f | %d |\n",
                           m.testTop1 * 100, best.testTop1 * 100, best.epoch, m.testTop5 * 100, m.testLoss,
                           m.testCalibrationError ?? .nan, m.trainLoss, m.trainAccuracy * 100, (m.agreement ?? .nan) * 100,
                           m.predictiveKL ?? .nan, last.updates[network.name] ?? 0)
        }
        if !frozenMetrics.isEmpty {
            text += "\nFrozen (measured once, before training):\n\n| network | top-1 | top-5 | test NLL | ECE |\n|---|---|---|---|---|\n"
            for (name, m) in frozenMetrics.sorted(by: { $0.key < $1.key }) {
                text += "| \(name) " + String(format: "| %.2f%% | %.2f%% | %.4f | %.4f |\n", m.testTop1 * 100, m.testTop5 * 100, m.testLoss,
                               m.testCalibrationError)
            }
        }
        let counterKeys = Array(Set(history.flatMap(\.counters.keys))).sorted()
        text += "\nTest top-1 per epoch:\n\n| epoch | " + networks.map(\.name).joined(separator: " | ") + " | s |"
            + counterKeys.map { " \($0) |" }.joined() + "\n"
        text += "|---|" + String(repeating: "---|", count: networks.count + 1 + counterKeys.count) + "\n"
        for metrics in history {
            text += "| \(metrics.epoch) | " + networks.map { String(format: "%.2f%%", (metrics.networks[$0.name]?.testTop1 ?? .nan) * 100) }
                .joined(separator: " | ") + String(format: " | %.1f |", metrics.seconds)
                + counterKeys.map { " \(metrics.counters[$0] ?? 0) |" }.joined() + "\n"
        }
        try AtomicFile.write(text, to: runDirectory.appendingPathComponent("summary.md"))
    }
}
