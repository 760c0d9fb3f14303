import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// A learnable synthetic task: each class has its own mean image plus noise; the order of the
/// training set is reshuffled per epoch from the seed (like a real loader).
struct SyntheticSource: BatchSource {
    let count: Int, batchSize: Int, classes: Int, side: Int, seed: UInt64
    var poison: Int? = nil   // an epoch whose batches contain NaN

    var batchesPerEpoch: Int { (count + batchSize - 1) / batchSize }

    func epochBatches(_ epoch: Int) throws -> AnySequence<Batch> {
        var generator = SplitMix64(seed: seed)
        let means = (0..<classes).map { _ in generator.floats(side * side, in: -1...1) }
        var samples: [(image: [Float], label: Int)] = (0..<count).map { index in
            let label = index % classes
            return (zip(means[label], generator.floats(side * side, in: -0.5...0.5)).map(+), label)
        }
        var order = SplitMix64(seed: seed &+ UInt64(epoch) &* 7919)
        samples.shuffle(using: &order)
        return AnySequence(stride(from: 0, to: count, by: batchSize).map { start in
            let chunk = samples[start..<min(count, start + batchSize)]
            var images = chunk.flatMap(\.image)
            if epoch == poison { images[0] = .nan }
            return Batch(images: images, labels: chunk.map(\.label), indices: Array(start..<start + chunk.count),
                         shape: [chunk.count, 1, side, side])
        })
    }
}

final class TrainerTests: ContextTestCase {
    private let train = SyntheticSource(count: 96, batchSize: 32, classes: 4, side: 16, seed: 1)
    private let test = SyntheticSource(count: 64, batchSize: 32, classes: 4, side: 16, seed: 1)

    private func trainer(epochs: Int, directory: URL, learningRate: Double = 0.05) throws -> Trainer {
        let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 3)
        let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: learningRate, momentum: 0.9, weightDecay: 5e-4),
                                         context: context)
        let schedule = try CosineAnnealingSchedule(baseLearningRate: learningRate, annealingEpochs: epochs)
        return Trainer(model: model, optimizer: optimizer, schedule: schedule, epochs: epochs, runDirectory: directory)
    }

    func testTrainingLearnsAndWritesTheRunFolder() throws {
        let run = runDirectory()
        let history = try trainer(epochs: 3, directory: run).fit(train: train, test: test)
        XCTAssertEqual(history.map(\.epoch), [1, 2, 3])
        XCTAssertGreaterThan(history.last!.testTop1, 0.9, "\(history)")
        XCTAssertEqual(history.last!.testTop5, 1, "4 classes: the label is always in the top 5")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: run.path))
        XCTAssertEqual(files, ["metrics.jsonl", "last.safetensors", "last.optimizer.safetensors", "best.safetensors",
                               "best.optimizer.safetensors", "summary.md", "best-test.json"])
        // The best checkpoint's test details: every test image counted once, in the bins and the confusion matrix.
        let details = try TestSplitDetails(contentsOf: Trainer.bestTestURL(in: run))
        let best = try XCTUnwrap(history.max { $0.testTop1 < $1.testTop1 })
        XCTAssertEqual(details.epoch, best.epoch)
        XCTAssertEqual(details.top1, best.testTop1)
        XCTAssertEqual(details.reliability.count.reduce(0, +), details.confusion.counts.joined().reduce(0, +))
        XCTAssertEqual(details.reliability.expectedCalibrationError, try XCTUnwrap(best.testCalibrationError), accuracy: 1e-12)
        let diagonal = details.confusion.counts.indices.map { details.confusion.counts[$0][$0] }.reduce(0, +)
        XCTAssertEqual(Double(diagonal) / Double(details.confusion.counts.joined().reduce(0, +)), best.testTop1, accuracy: 1e-12)
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        XCTAssertEqual(Set(first?.keys ?? [:].keys), ["epoch", "lr", "train_loss", "train_acc", "test_loss", "test_top1", "test_top5", "seconds", "images_per_s", "test_ece"], "no fidelity keys without a teacher")
        XCTAssert(try String(contentsOf: run.appendingPathComponent("summary.md"), encoding: .utf8).contains("| 3 |"))
    }

    /// `saveEvery` keeps the weights of every K-th epoch, each as that epoch's model (its recorded
    /// test accuracy is what the weights reach when evaluated again).
    func testSaveEveryKeepsIntermediateCheckpoints() throws {
        let run = runDirectory()
        let trainer = try trainer(epochs: 5, directory: run)
        trainer.saveEvery = 2
        let history = try trainer.fit(train: train, test: test)
        let kept = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("epoch-") }.sorted()
        XCTAssertEqual(kept, ["epoch-2.safetensors", "epoch-4.safetensors"])
        let reloaded = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 99)
        let state = try Checkpoint.load(into: reloaded, optimizer: nil, from: Trainer.intermediateURL(epoch: 2, in: run))
        XCTAssertEqual(state["epoch"], "2")
        XCTAssertEqual(state["test_top1"].flatMap(Double.init), history[1].testTop1)
        let evaluated = try Evaluation.run(reloaded, on: test)
        XCTAssertEqual(evaluated.top1, history[1].testTop1, accuracy: 1e-9)
    }

    /// Runs interrupted at an epoch boundary and in the middle of an epoch, then resumed, end with
    /// the same weights and metrics as one that ran straight through.
    func testResumedRunEndsWithTheSameWeights() throws {
        let straight = try trainer(epochs: 3, directory: runDirectory())
        let straightHistory = try straight.fit(train: train, test: test)
        for stopAfter in [6, 7] {  // 3 steps per epoch: after epoch 2, and one step into epoch 3
            try checkResume(stoppingAfter: stopAfter, against: straight, straightHistory)
        }
    }

    private func checkResume(stoppingAfter stopAfter: Int, against straight: Trainer, _ straightHistory: [EpochMetrics]) throws {
        let run = runDirectory()
        let interrupted = try trainer(epochs: 3, directory: run)
        var steps = 0
        interrupted.onStep = { _ in steps += 1 }
        interrupted.shouldStop = { steps == stopAfter }
        try interrupted.fit(train: train, test: test)
        let resumed = try trainer(epochs: 3, directory: run)
        let start = try resumed.resume()
        XCTAssertEqual([start.epoch, start.step], [(stopAfter - 1) / 3, (stopAfter - 1) % 3 + 1], "the step after which it stopped")
        let resumedHistory = try resumed.fit(train: train, test: test, from: start)
        for (a, b) in zip(straight.model.namedParameters(), resumed.model.namedParameters()) {
            XCTAssertEqual(try a.tensor.toArray(), try b.tensor.toArray(), "\(a.name)")
        }
        XCTAssertEqual(resumedHistory.map(\.testTop1), straightHistory.map(\.testTop1))
        XCTAssertEqual(resumedHistory.map(\.trainLoss), straightHistory.map(\.trainLoss))
    }

    /// An objective with state (a trained parameter, a buffer, a step count) is saved with every
    /// `last` and restored by `resume()`: stopped mid-epoch and resumed, the student and the objective
    /// end as in the straight run, bit for bit.
    func testAnObjectiveWithStateResumesBitForBit() throws {
        func statefulTrainer(_ run: URL) throws -> (trainer: Trainer, loss: StatefulTestLoss) {
            let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 3)
            let loss = try StatefulTestLoss(offset: 0.5, context: context)
            let optimizer = try SGDOptimizer([ParameterGroup(model.parameters()), ParameterGroup(loss.parameters())],
                                             options: .init(learningRate: 0.05, momentum: 0.9), context: context)
            let trainer = Trainer(model: model, optimizer: optimizer, schedule: try ConstantSchedule(learningRate: 0.05), epochs: 2,
                                  runDirectory: run)
            trainer.objective = loss
            return (trainer, loss)
        }
        let straight = try statefulTrainer(runDirectory())
        try straight.trainer.fit(train: train, test: test)
        let run = runDirectory()
        let interrupted = try statefulTrainer(run)
        var steps = 0
        interrupted.trainer.onStep = { _ in steps += 1 }
        interrupted.trainer.shouldStop = { steps == 4 }  // one step into epoch 2
        try interrupted.trainer.fit(train: train, test: test)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: run.path))
        XCTAssert(files.isSuperset(of: ["last.objective.safetensors", "last.objective.optimizer.safetensors"]), "\(files)")

        let resumed = try statefulTrainer(run)
        let start = try resumed.trainer.resume()
        XCTAssertEqual([start.epoch, start.step], [1, 1])
        XCTAssertEqual(resumed.loss.steps.value, 4, "the step count came back")
        try resumed.trainer.fit(train: train, test: test, from: start)
        for (a, b) in zip(straight.trainer.model.namedParameters(), resumed.trainer.model.namedParameters()) {
            XCTAssertEqual(try a.tensor.toArray(), try b.tensor.toArray(), "\(a.name)")
        }
        XCTAssertEqual(try resumed.loss.values(), try straight.loss.values())
        XCTAssertEqual(resumed.loss.steps.value, 6)
        XCTAssertEqual(try resumed.trainer.optimizer.state(parameterNames: resumed.loss.state!.parameterNamesByIdentity()).serialized(),
                       try straight.trainer.optimizer.state(parameterNames: straight.loss.state!.parameterNamesByIdentity()).serialized(),
                       "the objective's momentum came back")

        // Without the objective's file, the run refuses to continue rather than continue from a fresh state.
        try FileManager.default.removeItem(at: Trainer.objectiveURL(for: run.appendingPathComponent("last.safetensors")))
        XCTAssertThrowsError(try statefulTrainer(run).trainer.resume()) {
            XCTAssert("\($0)".contains("last.objective.safetensors is missing") && "\($0)".contains("stateful-test"), "\($0)")
        }
    }

    /// A student distilled from a trained teacher (KD: 0.1·CE + 0.9·T²·KL) learns the task (more slowly
    /// than with plain cross-entropy on this tiny task: 8 epochs of 3 steps).
    func testDistillationFromATrainedTeacher() throws {
        let teacher = try trainer(epochs: 3, directory: runDirectory())
        try teacher.fit(train: train, test: test)
        let student = try trainer(epochs: 8, directory: runDirectory())
        student.teachers = [teacher.model]
        student.objective = WeightedLoss([(0.1, CrossEntropyLoss()), (0.9, KnowledgeDistillation(temperature: 4))])
        let teacherBefore = try teacher.model.parameters()[0].toArray()
        let history = try student.fit(train: train, test: test)
        XCTAssertGreaterThan(history.last!.testTop1, 0.9, "\(history)")
        XCTAssert(history.allSatisfy { $0.trainLoss.isFinite })
        XCTAssertFalse(teacher.model.isTraining, "the teacher stays in evaluation mode")
        XCTAssertEqual(teacher.model.foldedBatchNormCount, 2, "the frozen teacher runs with both batch norms folded")
        XCTAssertEqual(try teacher.model.parameters()[0].toArray(), teacherBefore, "the teacher is not trained")
        // Fidelity to the teacher is measured every epoch and rises as the student learns.
        let agreements = history.compactMap(\.agreement), divergences = history.compactMap(\.predictiveKL)
        XCTAssertEqual(agreements.count, history.count)
        XCTAssertGreaterThan(agreements.last!, 0.9)
        XCTAssertLessThan(divergences.last!, divergences.first!)
        XCTAssert(history.allSatisfy { ($0.testCalibrationError ?? -1) >= 0 && ($0.testCalibrationError ?? 2) <= 1 })
        let summary = try String(contentsOf: student.runDirectory.appendingPathComponent("summary.md"), encoding: .utf8)
        XCTAssert(summary.contains("agreement") && summary.contains("0.1·ce + 0.9·kd"), summary)
        let line = try String(contentsOf: student.runDirectory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssert(line.contains("\"predictive_kl\"") && line.contains("\"test_ece\""), line)
    }

    /// Folding the teacher's batch norms changes neither the student's loss nor its gradients (KD reads
    /// the logits, FitNets-style losses the taps) and gives the teacher no gradient.
    func testAFoldedTeacherGivesTheStudentTheSameGradients() throws {
        var generator = SplitMix64(seed: 8)
        let x = try Tensor(generator.floats(8 * 16 * 16), shape: [8, 1, 16, 16], context: context)
        let labels = (0..<8).map { $0 % 4 }
        let teacher = try ModelZoo.make("plane4", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 5)
        for _ in 0..<3 { _ = try context.noGrad { try teacher(x) } }  // training-mode batches move the running statistics
        try teacher.freeze()
        teacher.eval()
        let student = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 6)
        let objective = WeightedLoss([(0.1, CrossEntropyLoss()), (0.9, KnowledgeDistillation(temperature: 4))])
        func lossAndGradients() throws -> (loss: Float, taps: [Float], gradients: [[Float]]) {
            for parameter in student.parameters() { try parameter.zeroGrad() }
            let taps = try context.noGrad { try teacher.features(x, preact: true) }
            let loss = try objective.loss(DistillationStep(student: try student.features(x), teachers: [taps], labels: labels))
            try loss.backward()
            return (try loss.item(), try taps.stages[0].toArray(), try student.parameters().map { try XCTUnwrap($0.grad).toArray() })
        }
        let unfolded = try lossAndGradients()
        XCTAssertEqual(try teacher.foldBatchNorms(), 4)
        let folded = try lossAndGradients()
        func scaledError(_ a: [Float], _ b: [Float], scale: [Float]) -> Float {
            zip(a, b).map { abs($0 - $1) }.max()! / max(scale.map(abs).max()!, 1e-30)
        }
        XCTAssertLessThanOrEqual(abs(folded.loss - unfolded.loss) / unfolded.loss, 1e-5)
        XCTAssertLessThanOrEqual(scaledError(folded.taps, unfolded.taps, scale: unfolded.taps), 1e-5, "the teacher's feature tap")
        // Relative to the largest gradient: a conv bias before a training-mode batch norm has a zero gradient up to rounding.
        let largest = unfolded.gradients.flatMap { $0 }
        for (index, (a, b)) in zip(folded.gradients, unfolded.gradients).enumerated() {
            XCTAssertLessThanOrEqual(scaledError(a, b, scale: largest), 1e-5, "student parameter \(index)")
        }
        XCTAssert(teacher.parameters().allSatisfy { $0.grad == nil }, "the teacher gets no gradient")
    }

    /// MixUp feeds mixed images to the student and soft targets to the objective.
    func testMixUpTrainsOnSoftTargets() throws {
        let trainer = try trainer(epochs: 3, directory: runDirectory())
        trainer.mixUp = MixUp(classes: 4, alpha: 1, unmixedFraction: 0.5)
        trainer.seed = 5
        let history = try trainer.fit(train: train, test: test)
        XCTAssertGreaterThan(history.last!.testTop1, 0.8, "\(history)")
        XCTAssertNil(history.last!.agreement, "no teacher, no fidelity")
    }

    /// A network that does not learn (its objective has no gradient) stays at chance: the collapse
    /// guard stops the run with an error that says what to change, unless it is turned off.
    func testCollapseToChanceStopsTheRun() throws {
        struct NoSignal: DistillationLoss {
            var name: String { "no-signal" }
            var teacherCount: ClosedRange<Int> { 0...0 }
            func loss(_ step: DistillationStep) throws -> Tensor { try step.student.logits.crossEntropy(labels: step.labels).scaled(by: 0) }
        }
        let trainer = try trainer(epochs: 3, directory: runDirectory(), learningRate: 0)
        trainer.objective = NoSignal()
        XCTAssertThrowsError(try trainer.fit(train: train, test: test)) { error in
            XCTAssert("\(error)".contains("epochs 1 and 2 ended at chance") && "\(error)".contains("--dkd-warmup"), "\(error)")
        }
        XCTAssertEqual(trainer.history.count, 1, "the first chance epoch alone does not stop the run")
        let unguarded = try self.trainer(epochs: 2, directory: runDirectory(), learningRate: 0)
        unguarded.objective = NoSignal()
        unguarded.stopsOnCollapse = false
        XCTAssertEqual(try unguarded.fit(train: train, test: test).count, 2)
    }

    func testNonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws {
        let run = runDirectory()
        var poisoned = train
        poisoned.poison = 1
        let trainer = try trainer(epochs: 3, directory: run)
        XCTAssertThrowsError(try trainer.fit(train: poisoned, test: test)) { error in
            XCTAssert("\(error)".contains("epoch 2") && "\(error)".contains("last good checkpoint"), "\(error)")
        }
        let restored = try self.trainer(epochs: 3, directory: run)
        XCTAssertEqual(try restored.resume().epoch, 1, "the checkpoint of epoch 1 survives")
        XCTAssert(try restored.model.parameters()[0].toArray().allSatisfy(\.isFinite))
    }

    func testStopRequestSavesAndResumesAtThatEpoch() throws {
        let run = runDirectory()
        let trainer = try trainer(epochs: 3, directory: run)
        var steps = 0
        trainer.onStep = { _ in steps += 1 }
        trainer.shouldStop = { steps == 4 }  // during the second epoch (3 steps per epoch)
        let history = try trainer.fit(train: train, test: test)
        XCTAssertEqual(history.count, 1)
        let point = try self.trainer(epochs: 3, directory: run).resume()
        XCTAssertEqual([point.epoch, point.step], [1, 1], "stopped after the first step of the second epoch")
    }
}
