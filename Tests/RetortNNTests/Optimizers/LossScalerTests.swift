import XCTest
import Retort
import RetortCompute
import RetortNN
import RetortTestSupport

/// Dynamic loss scaling as PyTorch's GradScaler does it: the backward is seeded with the scale, the
/// gradients come back unscaled, a step with an infinity or a NaN in any gradient is reported (to be
/// skipped) and halves the scale, and 2000 clean steps in a row double it.
final class LossScalerTests: ContextTestCase {
    func testBackwardIsSeededWithTheScaleAndTheGradientsComeBackUnscaled() throws {
        let w = try tensor([1, -2, 3], [3], requiresGrad: true)
        let loss = try (w * tensor([0.5, 0.25, 4], [3])).sum()
        let scaler = LossScaler(initialScale: 1024)
        XCTAssertTrue(try scaler.backward(loss, parameters: [w]))
        XCTAssertEqual(try XCTUnwrap(w.grad).toArray(), [0.5, 0.25, 4])
    }

    func testANonFiniteGradientAnywhereIsFoundAndFiniteOnesAreNot() throws {
        let scaler = LossScaler(initialScale: 8)
        let a = try tensor([1, 2], [2], requiresGrad: true), b = try tensor([3, 4, 5], [3], requiresGrad: true)
        try a.setGradient([8, 16])
        try b.setGradient([1e30, -1e30, 0])  // large but finite
        XCTAssertTrue(try scaler.unscale([a, b]))
        XCTAssertEqual(try XCTUnwrap(a.grad).toArray(), [1, 2])
        for bad: Float in [.infinity, -.infinity, .nan] {
            try a.setGradient([8, 16])
            try b.setGradient([0, bad, 1])
            XCTAssertFalse(try scaler.unscale([a, b]), "\(bad) in a gradient")
        }
    }

    func testAnOverflowingStepIsSkippedAndTheScaleBacksOff() throws {
        // A loss whose scaled gradient overflows fp32 (3e38 · 2¹⁶): GradScaler skips the step.
        let w = try tensor([1], [1], requiresGrad: true)
        var scaler: LossScaler? = LossScaler()
        let steps = try LossScaler.backward(try (w * tensor([3e38], [1])).sum(), parameters: [w], scaler: &scaler)
        XCTAssertFalse(steps)
        XCTAssertEqual(scaler?.scale, 32768)
        XCTAssertEqual(scaler?.growthTracker, 0)
        // A clean step after it steps and counts.
        try w.zeroGrad()
        XCTAssertTrue(try LossScaler.backward(try (w * tensor([2], [1])).sum(), parameters: [w], scaler: &scaler))
        XCTAssertEqual(try XCTUnwrap(w.grad).toArray(), [2])
        XCTAssertEqual(scaler?.scale, 32768)
        XCTAssertEqual(scaler?.growthTracker, 1)
    }

    func testTheScaleDoublesAfter2000CleanStepsAndAnOverflowRestartsTheCount() {
        var scaler = LossScaler()
        XCTAssertEqual(scaler.scale, 65536)
        for _ in 0..<1999 { scaler.update(gradientsWereFinite: true) }
        XCTAssertEqual(scaler.scale, 65536)
        scaler.update(gradientsWereFinite: false)
        XCTAssertEqual(scaler.scale, 32768)
        for _ in 0..<1999 { scaler.update(gradientsWereFinite: true) }
        XCTAssertEqual(scaler.scale, 32768, "the count restarted at the overflow")
        scaler.update(gradientsWereFinite: true)
        XCTAssertEqual(scaler.scale, 65536)
        XCTAssertEqual(scaler.growthTracker, 0)
    }

    func testTheRunStateRestoresTheScalerExactly() {
        var scaler = LossScaler()
        scaler.update(gradientsWereFinite: false)
        for _ in 0..<7 { scaler.update(gradientsWereFinite: true) }
        var restored = LossScaler()
        restored.restore(from: scaler.runState.merging(["epoch": "1"]) { $1 })
        XCTAssertEqual(restored, scaler)
        var untouched = LossScaler()
        untouched.restore(from: ["epoch": "1"])
        XCTAssertEqual(untouched, LossScaler())
    }
}
