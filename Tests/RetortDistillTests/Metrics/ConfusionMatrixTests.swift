import XCTest
@testable import RetortDistill

/// The confusion matrix and the reliability bins against hand-counted predictions.
final class ConfusionMatrixTests: XCTestCase {
    func testCountsLabelsAgainstPredictions() {
        // Rows: predicted 0, 2, 2, 1 (tie between 1 and 2 goes to 1); labels 0, 1, 2, 1.
        let logits: [Float] = [3, 1, 0, 0, 1, 2, 0, 0, 5, 0, 4, 4]
        let matrix = ConfusionMatrix(logits: logits, labels: [0, 1, 2, 1], classes: 3)
        XCTAssertEqual(matrix.counts, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
        XCTAssertEqual(matrix.perClassAccuracy, [1, 0.5, 1])
        XCTAssertEqual(ConfusionMatrix(logits: logits, labels: [0, 0, 0, 0], classes: 3).perClassAccuracy, [0.25, nil, nil])
    }

    func testReliabilityBinsHoldEveryPrediction() {
        // Confidences: softmax([2, 0]) ≈ 0.881 (bin 1 of 2), [0, 0] = 0.5 (bin 0: ⌈0.5·2⌉ − 1).
        let bins = ReliabilityBins(logits: [2, 0, 0, 0], labels: [0, 1], bins: 2)
        XCTAssertEqual(bins.count, [1, 1])
        XCTAssertEqual(bins.correct, [0, 1], "the tie predicts class 0, label 1 is wrong")
        XCTAssertEqual(bins.accuracy, [0, 1])
        XCTAssertEqual(bins.meanConfidence[0]!, 0.5, accuracy: 1e-12)
        let high: Double = 1 / (1 + exp(-2))
        XCTAssertEqual(bins.meanConfidence[1]!, high, accuracy: 1e-12)
        let error: Double = 0.5 * 0.5 + 0.5 * (1 - high)
        XCTAssertEqual(bins.expectedCalibrationError, error, accuracy: 1e-12)
        XCTAssertEqual(ReliabilityBins(logits: [], labels: []).expectedCalibrationError, 0)
    }
}
