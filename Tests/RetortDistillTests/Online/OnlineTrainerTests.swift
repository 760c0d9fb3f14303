import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// Each network's own cross-entropy and two named switches, `a→b` and `b→a`, whose modes are given per step.
private struct TwoSwitches: OnlineObjective {
    var pattern: (_ step: Int) -> [String]
    var name: String { "two-switches" }
    var networkCount: ClosedRange<Int> { 2...2 }
    var modes: [String] { ["expert", "learning"] }
    var diagnosticKeys: [String] { ["x"] }
    func switchNames(networks: [String]) -> [String] { ["\(networks[0])→\(networks[1])", "\(networks[1])→\(networks[0])"] }

    func losses(_ step: OnlineStep) throws -> OnlineLosses {
        OnlineLosses(losses: try step.logits.map { try $0.crossEntropy(labels: step.labels) }, modes: pattern(step.step),
                     diagnostics: [["x": 1], ["x": 2]])
    }
}

/// Each network's own cross-entropy; `pausing` networks step only when `steps(step)` says so.
private struct CrossEntropyPerNetwork: OnlineObjective {
    var steps: (_ network: Int, _ step: Int) -> Bool = { _, _ in true }
    var mode: ((_ step: Int) -> String)?
    var name: String { "ce-each" }
    var networkCount: ClosedRange<Int> { 1...Int.max }
    var modes: [String] { mode == nil ? [] : ["expert", "learning"] }
    var diagnosticKeys: [String] { mode == nil ? [] : ["step"] }

    func losses(_ step: OnlineStep) throws -> OnlineLosses {
        OnlineLosses(losses: try step.logits.enumerated().map { index, z in steps(index, step.step) ? try z.crossEntropy(labels: step.labels) : nil },
                     mode: mode?(step.step), diagnostics: ["step": Double(step.step)])
    }
}

final class OnlineTrainerTests: ContextTestCase {
    private let train = SyntheticSource(count: 96, batchSize: 32, classes: 4, side: 16, seed: 1)
    private let test = SyntheticSource(count: 64, batchSize: 32, classes: 4, side: 16, seed: 1)

    /// A plane2 at learning rate 0.01: two fresh networks' mutual KL gradients are as large as their
    /// cross-entropy's (each pulls the other toward its own random class bias, coherently over the
    /// batch), and at 0.05 with momentum 0.9 DML overshoots on this task.
    private func network(_ name: String, seed: UInt64, epochs: Int) throws -> OnlineNetwork {
        let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: seed)
        let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4),
                                         context: context)
        return OnlineNetwork(name: name, model: model, optimizer: optimizer,
                             schedule: try CosineAnnealingSchedule(baseLearningRate: 0.01, annealingEpochs: epochs))
    }

    private func trainer(_ objective: any OnlineObjective, epochs: Int, directory: URL) throws -> OnlineTrainer {
        try OnlineTrainer(networks: [network("a", seed: 3, epochs: epochs), network("b", seed: 4, epochs: epochs)], objective: objective,
                          epochs: epochs, runDirectory: directory)
    }

    private func values(_ model: any Classifier) throws -> [[Float]] { try model.parameters().map { try $0.toArray() } }

    /// With each network's own cross-entropy, each network trains exactly as it would alone in
    /// ``Trainer``: one backward of the summed losses gives each network its own gradient.
    func testIndependentLossesTrainEachNetworkAsAlone() throws {
        let online = try trainer(CrossEntropyPerNetwork(), epochs: 2, directory: runDirectory())
        try online.fit(train: train, test: test)
        for (index, seed) in [(0, UInt64(3)), (1, 4)] {
            let alone = try network("alone", seed: seed, epochs: 2)
            try Trainer(model: alone.model, optimizer: alone.optimizer, schedule: alone.schedule, epochs: 2, runDirectory: runDirectory())
                .fit(train: train, test: test)
            let expected = try values(alone.model), got = try values(online.networks[index].model)
            for (a, b) in zip(expected, got) { XCTAssertLessThanOrEqual(maxRelativeError(b, a.map(Double.init)), 1e-5, "network \(index)") }
        }
    }

    /// A network without a loss on a batch does not step (SwitOKD's paused teacher): its weights
    /// stay as they were while the other network's change.
    func testOnlyTheNetworksWithALossStep() throws {
        let run = runDirectory()
        let online = try trainer(CrossEntropyPerNetwork(steps: { network, _ in network == 1 }, mode: { _ in "expert" }), epochs: 1, directory: run)
        let before = try online.networks.map { try values($0.model) }
        let history = try online.fit(train: train, test: test)
        XCTAssertEqual(try values(online.networks[0].model), before[0], "the paused network is unchanged")
        XCTAssertNotEqual(try values(online.networks[1].model), before[1], "the other network trained")
        XCTAssertEqual(history[0].updates, ["a": 0, "b": 3])
        XCTAssertEqual(history[0].counters, ["expert_steps": 3, "learning_steps": 0, "switches": 0])
    }

    /// Mode counters and the per-step log: switches count changes from the step before, across the
    /// epoch boundary too.
    func testModesAreCountedAndLogged() throws {
        let run = runDirectory()
        let objective = CrossEntropyPerNetwork(steps: { network, step in network == 1 || step % 2 == 1 },
                                               mode: { $0 % 2 == 0 ? "expert" : "learning" })
        let online = try trainer(objective, epochs: 2, directory: run)
        // After a learning step the paused network has a gradient buffer and momentum: an expert
        // step must still leave it exactly as it was.
        var snapshots: [[[Float]]] = []
        online.onStep = { _ in snapshots.append((try? self.values(online.networks[0].model)) ?? []) }
        let history = try online.fit(train: train, test: test)
        XCTAssertEqual(snapshots.count, 6)
        XCTAssertNotEqual(snapshots[1], snapshots[0], "learning step: the first network steps")
        XCTAssertEqual(snapshots[2], snapshots[1], "expert step: the first network is unchanged")
        XCTAssertEqual(snapshots[3], snapshots[2], "expert step (next epoch): unchanged")
        // Steps per epoch: expert, learning, expert.
        XCTAssertEqual(history.map(\.counters), [["expert_steps": 2, "learning_steps": 1, "switches": 2],
                                                 ["expert_steps": 2, "learning_steps": 1, "switches": 2]])
        XCTAssertEqual(history.map { $0.updates["a"] }, [1, 1])
        let rows = try String(contentsOf: run.appendingPathComponent("modes.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first, "epoch,step,mode,step")
        XCTAssertEqual(Array(rows.dropFirst()), ["1,1,expert,0.0", "1,2,learning,1.0", "1,3,expert,2.0",
                                                 "2,1,expert,0.0", "2,2,learning,1.0", "2,3,expert,2.0"])
    }

    /// Several switches: counters and `modes.csv` columns named by switch, switches counted per
    /// switch (across epochs), and a resumed run continues each switch's count.
    func testEachSwitchIsCountedAndLoggedUnderItsName() throws {
        let run = runDirectory()
        let objective = TwoSwitches { step in [step == 1 ? "learning" : "expert", "learning"] }
        let history = try trainer(objective, epochs: 2, directory: run).fit(train: train, test: test)
        let expected = ["a→b expert_steps": 2, "a→b learning_steps": 1, "a→b switches": 2,
                        "b→a expert_steps": 0, "b→a learning_steps": 3, "b→a switches": 0]
        XCTAssertEqual(history.map(\.counters), [expected, expected])
        let rows = try String(contentsOf: run.appendingPathComponent("modes.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first, "epoch,step,a→b mode,a→b x,b→a mode,b→a x")
        XCTAssertEqual(rows.count, 7)
        XCTAssertEqual(rows[2], "1,2,learning,1.0,learning,2.0")
        XCTAssert(try String(contentsOf: run.appendingPathComponent("summary.md"), encoding: .utf8).contains("a→b, b→a"))

        // Stopped after the first step of epoch 2: the resumed run knows a→b's last mode (expert) and counts on.
        let stopped = runDirectory()
        let first = try trainer(objective, epochs: 2, directory: stopped)
        var steps = 0
        first.onStep = { _ in steps += 1 }
        first.shouldStop = { steps == 4 }
        try first.fit(train: train, test: test)
        let resumed = try trainer(objective, epochs: 2, directory: stopped)
        let resumedHistory = try resumed.fit(train: train, test: test, from: try resumed.resume())
        XCTAssertEqual(resumedHistory.map(\.counters), [expected, expected])
        XCTAssertEqual(try String(contentsOf: stopped.appendingPathComponent("modes.csv"), encoding: .utf8).split(separator: "\n"), rows)
    }

    /// The run folder: every network's metrics under its name in each line of `metrics.jsonl`, its
    /// own `last`/`best` checkpoints, and a summary row per network.
    func testRunFolderHoldsEveryNetworkUnderItsName() throws {
        let run = runDirectory()
        let history = try trainer(DeepMutualLearning(), epochs: 2, directory: run).fit(train: train, test: test)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: run.path))
        XCTAssertEqual(files, ["metrics.jsonl", "summary.md", "a.last.safetensors", "a.last.optimizer.safetensors", "a.best.safetensors",
                               "a.best.optimizer.safetensors", "b.last.safetensors", "b.last.optimizer.safetensors", "b.best.safetensors",
                               "b.best.optimizer.safetensors"])
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let line = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        let networks = try XCTUnwrap(line["networks"] as? [String: [String: Any]])
        XCTAssertEqual(Set(networks.keys), ["a", "b"])
        for (name, metrics) in networks {
            XCTAssert(Set(metrics.keys).isSuperset(of: ["test_top1", "test_top5", "test_loss", "test_ece", "train_loss", "train_acc", "agreement",
                                                        "predictive_kl", "lr"]), "\(name): \(metrics.keys)")
        }
        XCTAssertEqual(line["updates"] as? [String: Int], ["a": 3, "b": 3])
        // The two networks' agreement is symmetric; each learns the easy task.
        XCTAssertEqual(history[1].networks["a"]?.agreement, history[1].networks["b"]?.agreement)
        XCTAssertGreaterThan(history[1].networks["a"]?.testTop1 ?? 0, 0.8, "\(history)")
        XCTAssertGreaterThan(history[1].networks["b"]?.testTop1 ?? 0, 0.8, "\(history)")
        let best = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context)
        let state = try Checkpoint.load(into: best, optimizer: nil, from: run.appendingPathComponent("b.best.safetensors"))
        XCTAssertEqual(try Evaluation.run(best, on: test).top1, history.compactMap { $0.networks["b"]?.testTop1 }.max()!, accuracy: 1e-9)
        XCTAssertNotNil(state["epoch"])
        let summary = try String(contentsOf: run.appendingPathComponent("summary.md"), encoding: .utf8)
        XCTAssert(summary.contains("| a |") && summary.contains("| b |") && summary.contains("method: dml"), summary)
    }

    /// Stopped in the middle of the second epoch and resumed at that step, a run ends with the same
    /// weights and metrics as one that ran straight through.
    func testResumeAtTheStep() throws {
        let straight = try trainer(DeepMutualLearning(), epochs: 3, directory: runDirectory())
        let straightHistory = try straight.fit(train: train, test: test)
        let run = runDirectory()
        let interrupted = try trainer(DeepMutualLearning(), epochs: 3, directory: run)
        var steps = 0
        interrupted.onStep = { _ in steps += 1 }
        interrupted.shouldStop = { steps == 5 }
        XCTAssertEqual(try interrupted.fit(train: train, test: test).count, 1)
        let resumed = try trainer(DeepMutualLearning(), epochs: 3, directory: run)
        let point = try resumed.resume()
        XCTAssertEqual([point.epoch, point.step], [1, 2], "3 steps per epoch: stopped after the second of epoch 2")
        let history = try resumed.fit(train: train, test: test, from: point)
        for index in 0..<2 {
            XCTAssertEqual(try values(resumed.networks[index].model), try values(straight.networks[index].model), "network \(index)")
        }
        XCTAssertEqual(history.map { $0.networks["a"]?.testTop1 }, straightHistory.map { $0.networks["a"]?.testTop1 })
        XCTAssertEqual(history.map { $0.networks["b"]?.trainLoss }, straightHistory.map { $0.networks["b"]?.trainLoss })
        XCTAssertEqual(history.map { $0.networks["a"]?.trainAccuracy }, straightHistory.map { $0.networks["a"]?.trainAccuracy })
        XCTAssertEqual(history.map(\.updates), straightHistory.map(\.updates))
    }

    func testNonFiniteInputStopsTheRunBeforeItsStep() throws {
        var poisoned = train
        poisoned.poison = 1
        let run = runDirectory()
        XCTAssertThrowsError(try trainer(DeepMutualLearning(), epochs: 3, directory: run).fit(train: poisoned, test: test)) { error in
            guard case TrainingError.nonFiniteInput(let epoch, let step, let image, let value) = error else { return XCTFail("\(error)") }
            XCTAssertEqual([epoch, step, image], [1, 0, 0])
            XCTAssert(value.isNaN)
        }
        XCTAssertEqual(try trainer(DeepMutualLearning(), epochs: 3, directory: run).resume().epoch, 1, "epoch 1's checkpoints survive")
    }

    func testNamesAreUniqueAndCountsChecked() throws {
        XCTAssertEqual(OnlineNetwork.uniqueNames(["plane2", "plane4", "plane2"]), ["plane2-a", "plane4", "plane2-b"])
        XCTAssertEqual(OnlineNetwork.uniqueNames(["resnet8", "resnet20"]), ["resnet8", "resnet20"])
        XCTAssertThrowsError(try OnlineTrainer(networks: [network("x", seed: 1, epochs: 1), network("x", seed: 2, epochs: 1)],
                                               objective: DeepMutualLearning(), epochs: 1, runDirectory: runDirectory())) {
            XCTAssert("\($0)".contains("unique"), "\($0)")
        }
        XCTAssertThrowsError(try OnlineTrainer(networks: [network("x", seed: 1, epochs: 1)], objective: DeepMutualLearning(), epochs: 1,
                                               runDirectory: runDirectory())) {
            XCTAssert("\($0)".contains("dml trains 2 or more networks"), "\($0)")
        }
        XCTAssertThrowsError(try OnlineTrainer(networks: [network("x", seed: 1, epochs: 1), network("y", seed: 2, epochs: 1), network("z", seed: 3, epochs: 1)],
                                               objective: SwitchableOnlineKD(), epochs: 1, runDirectory: runDirectory())) {
            XCTAssert("\($0)".contains("switokd trains 2 networks"), "\($0)")
        }
    }
}
