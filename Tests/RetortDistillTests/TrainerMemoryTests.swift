import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// The arena returns every step's memory: over 50 training steps the bytes live buffers hold
/// between steps, and the most they hold during a step, stay the same once the first steps have
/// allocated the optimizer's state (`retort-bench soak` runs 1,000 steps with evaluations and
/// checkpoints, and watches the process's resident memory too).
final class TrainerMemoryTests: ContextTestCase {
    func testEveryStepGivesItsMemoryBack() throws {
        let trainer = try tinyTrainer(epochs: 1).trainer
        let device = context.device
        var held: [UInt64] = [], peaks: [UInt64] = []
        trainer.onStep = { _ in
            held.append(device.bytesInUse)
            peaks.append(device.peakBytesInUse)
            device.resetPeakBytesInUse()
        }
        device.resetPeakBytesInUse()
        try trainer.fit(train: SyntheticSource(count: 400, batchSize: 8, classes: 4, side: 16, seed: 1),
                        test: SyntheticSource(count: 8, batchSize: 8, classes: 4, side: 16, seed: 2))
        XCTAssertEqual(held.count, 50)
        XCTAssertEqual(Set(held[4...]), [held[4]], "bytes held between steps 5…50")
        XCTAssertEqual(Set(peaks[4...]), [peaks[4]], "each step's peak, steps 5…50")
        XCTAssertGreaterThan(peaks[4], held[4], "a step allocates and frees its activations")
    }
}
