import Foundation
import XCTest
@testable import RetortDistill

/// Mean predictive entropy against hand-computed cases.
final class PredictiveEntropyTests: XCTestCase {
    func testHandCases() {
        // Uniform over two classes: ln 2.
        XCTAssertEqual(meanPredictiveEntropy(logits: [3, 3], classes: 2), log(2), accuracy: 1e-12)
        // p = (0.8, 0.2): −(0.8 ln 0.8 + 0.2 ln 0.2) = 0.500402…
        XCTAssertEqual(meanPredictiveEntropy(logits: [Float(log(0.8)), Float(log(0.2))], classes: 2), 0.5004024235, accuracy: 1e-7)
        // A saturated row contributes 0 (no NaN from 0 · log 0); the mean is over rows.
        XCTAssertEqual(meanPredictiveEntropy(logits: [1000, 0, 0, 0, 0, 0], classes: 3), log(3) / 2, accuracy: 1e-12)
        XCTAssertEqual(meanPredictiveEntropy(logits: [], classes: 3), 0)
    }
}
