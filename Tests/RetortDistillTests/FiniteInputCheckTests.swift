import Foundation
import XCTest
@testable import RetortDistill
import RetortTestSupport

/// A training batch holding NaN or ±inf stops a run before its step, and the run keeps its last
/// good checkpoint: nothing is trained on it.
final class FiniteInputCheckTests: ContextTestCase {
    private let train = SyntheticSource(count: 96, batchSize: 32, classes: 4, side: 16, seed: 1)
    private let test = SyntheticSource(count: 64, batchSize: 32, classes: 4, side: 16, seed: 1)

    func testTheScanFindsTheFirstNaNOrInfinityAndNothingElse() {
        XCTAssertNil(FiniteInputCheck.firstNonFinite([]))
        XCTAssertNil(FiniteInputCheck.firstNonFinite([0, -0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                                      .leastNonzeroMagnitude, .leastNormalMagnitude]))
        for bad in [Float.nan, .infinity, -.infinity, -Float.nan] {
            var values = [Float](repeating: 0.5, count: 1000)
            values[637] = bad
            values[900] = .nan
            XCTAssertEqual(FiniteInputCheck.firstNonFinite(values), 637, "\(bad)")
        }
    }

    /// A source whose third batch of epoch 0 holds +inf in its second image.
    private struct Spiked: BatchSource {
        var batchesPerEpoch: Int { 4 }
        func epochBatches(_ epoch: Int) throws -> AnySequence<Batch> {
            AnySequence((0..<4).map { step in
                var images = [Float](repeating: 0.1, count: 2 * 3)
                if step == 2 { images[4] = .infinity }
                return Batch(images: images, labels: [0, 1], indices: [0, 1], shape: [2, 1, 1, 3])
            })
        }
    }

    func testTheEpochEndsBeforeTheBadBatchAndCheckNamesIt() throws {
        let check = FiniteInputCheck(Spiked())
        XCTAssertEqual(Array(try check.epochBatches(0)).count, 2, "the batches before the bad one")
        XCTAssertThrowsError(try check.check()) { error in
            XCTAssertEqual(error as? TrainingError, .nonFiniteInput(epoch: 0, step: 2, image: 1, value: .infinity))
            XCTAssert("\(error)".contains("epoch 1, step 3 holds inf (image 2 of the batch)"), "\(error)")
        }
    }

    func testTrainerStopsBeforeAPoisonedBatchAndKeepsTheLastGoodWeights() throws {
        let (trainer, model, run) = try tinyTrainer(epochs: 3)
        var poisoned = train
        poisoned.poison = 1
        XCTAssertThrowsError(try trainer.fit(train: poisoned, test: test)) { error in
            guard case TrainingError.nonFiniteInput(let epoch, let step, let image, let value) = error else { return XCTFail("\(error)") }
            XCTAssertEqual([epoch, step, image], [1, 0, 0])
            XCTAssert(value.isNaN)
            XCTAssert("\(error)".contains("last good checkpoint"), "\(error)")
        }
        XCTAssertEqual(trainer.history.count, 1)
        let saved = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context)
        try Checkpoint.load(into: saved, optimizer: nil, from: run.appendingPathComponent("last.safetensors"))
        XCTAssertEqual(try model.parameters().map { try $0.toArray() }, try saved.parameters().map { try $0.toArray() },
                       "no step ran on the poisoned epoch")
    }
}
