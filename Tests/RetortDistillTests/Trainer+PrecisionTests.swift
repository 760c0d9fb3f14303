import Foundation
import XCTest
import RetortCheckpoint
import RetortCompute
import RetortDistill
import RetortTestSupport

/// Mixed-precision training through the Trainer: fp16 and bf16 learn the synthetic task as fp32 does,
/// checkpoints stay fp32, and an fp16 run whose loss scaler backs off and grows resumes bit for bit.
final class TrainerPrecisionTests: ContextTestCase {
    private let train = SyntheticSource(count: 96, batchSize: 32, classes: 4, side: 16, seed: 1)
    private let test = SyntheticSource(count: 64, batchSize: 32, classes: 4, side: 16, seed: 1)

    private func trainer(_ precision: Precision, epochs: Int, directory: URL, scaler: LossScaler? = nil) throws -> Trainer {
        let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 3)
        let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4),
                                         context: context)
        let schedule = try CosineAnnealingSchedule(baseLearningRate: 0.05, annealingEpochs: epochs)
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: schedule, epochs: epochs, runDirectory: directory)
        trainer.precision = precision
        trainer.stopsOnCollapse = scaler == nil  // the resume test skips steps on purpose
        if let scaler { trainer.lossScaler = scaler }
        return trainer
    }

    func testSixteenBitRunsLearnAsFP32DoesAndSaveFP32Checkpoints() throws {
        let fp32 = try trainer(.float32, epochs: 3, directory: runDirectory()).fit(train: train, test: test)
        for precision in [Precision.float16, .bfloat16] {
            let run = runDirectory()
            let history = try trainer(precision, epochs: 3, directory: run).fit(train: train, test: test)
            XCTAssertGreaterThan(history.last!.testTop1, 0.9, "\(precision): \(history)")
            XCTAssertEqual(history.last!.trainLoss, fp32.last!.trainLoss, accuracy: 0.05 * fp32.last!.trainLoss + 0.01, "\(precision)")
            let saved = try SafeTensors(contentsOf: run.appendingPathComponent("last.safetensors"))
            XCTAssertFalse(saved.tensors.values.contains { [.float16, .bfloat16].contains($0.dtype) }, "\(precision): checkpoints stay fp32")
            XCTAssertEqual(saved.tensors["layers.0.weight"]?.dtype, .float32)
        }
    }

    /// A scaler that starts far too high (2²⁰: the first gradients overflow fp16) and grows every three
    /// clean steps backs off and grows during the run; stopped mid-epoch and resumed, it ends with the
    /// straight run's weights and scale.
    func testAnFP16RunResumesWithItsLossScale() throws {
        let eager = LossScaler(initialScale: 0x1p20, growthInterval: 3)
        let straight = try trainer(.float16, epochs: 3, directory: runDirectory(), scaler: eager)
        var skipped = 0, previous = eager.scale
        straight.onStep = { _ in
            if let scale = straight.lossScaler?.scale, scale < previous { skipped += 1 }
            previous = straight.lossScaler?.scale ?? previous
        }
        let straightHistory = try straight.fit(train: train, test: test)
        XCTAssertGreaterThan(skipped, 1, "the scale backed off during the run")
        XCTAssertNotEqual(straight.lossScaler?.growthTracker, nil)
        let run = runDirectory()
        let interrupted = try trainer(.float16, epochs: 3, directory: run, scaler: eager)
        var steps = 0
        interrupted.onStep = { _ in steps += 1 }
        interrupted.shouldStop = { steps == 5 }
        try interrupted.fit(train: train, test: test)
        let resumed = try trainer(.float16, epochs: 3, directory: run, scaler: eager)
        let start = try resumed.resume()
        XCTAssertEqual(resumed.lossScaler, interrupted.lossScaler, "the scaler as it was when the run stopped")
        let resumedHistory = try resumed.fit(train: train, test: test, from: start)
        XCTAssertEqual(resumed.lossScaler, straight.lossScaler)
        for (a, b) in zip(straight.model.namedParameters(), resumed.model.namedParameters()) {
            XCTAssertEqual(try a.tensor.toArray(), try b.tensor.toArray(), "\(a.name)")
        }
        XCTAssertEqual(resumedHistory.map(\.trainLoss), straightHistory.map(\.trainLoss))
    }
}
