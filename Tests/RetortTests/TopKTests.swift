import XCTest
import Retort
import RetortTestSupport

/// `Tensor.topKCorrect` against the host rule the trainers used before it: a row counts when fewer
/// than k of its logits are strictly greater than the label's.
final class TopKTests: ContextTestCase {
    private var random = SplitMix64(seed: 41)

    func testCountsMatchTheHostWithTies() throws {
        for (rows, classes) in [(1, 1), (5, 7), (32, 10), (130, 3), (64, 100)] {
            // Small integers: many ties, some with the k-th largest.
            let logits = (0..<rows * classes).map { _ in Float(random.next() % 5) }
            let labels = (0..<rows).map { _ in Int(random.next() % UInt64(classes)) }
            let x = try tensor(logits, [rows, classes])
            for k in [1, 2, 5, classes + 3] {
                let expected = TopKOracle.correctCount(logits, labels: labels.map(UInt32.init), classes: classes, k: k)
                XCTAssertEqual(try x.topKCorrect(labels: labels, k: k).value(), expected, "top-\(k) of [\(rows), \(classes)]")
            }
        }
    }

    func testHandMadeRows() throws {
        // Row 0: the label ties the maximum (a top-1 hit); row 1: five logits beat the label (a top-5 miss).
        let logits: [Float] = [1, 3, 3, 2, 0, 0, 0,
                               6, 5, 4, 3, 2, 1, 0]
        let x = try tensor(logits, [2, 7])
        XCTAssertEqual(try x.topKCorrect(labels: [2, 5], k: 1).value(), 1)
        XCTAssertEqual(try x.topKCorrect(labels: [2, 5], k: 5).value(), 1)
        XCTAssertEqual(try x.topKCorrect(labels: [2, 5], k: 6).value(), 2)
    }

    func testCountRecordedBeforeTheStepsSubmitIsReadAfterIt() throws {
        // As the trainers use it: record the count, let the step's loss.item() submit, then read.
        let x = try tensor([0, 3, 1, 5, 2, 4], [2, 3])
        let pending = try x.topKCorrect(labels: [1, 2], k: 1)  // row 0 hits, row 1 misses
        XCTAssertEqual(try x.sum().item(), 15)
        XCTAssertEqual(try pending.value(), 1)
    }

    func testBadLabelsAndShapesThrow() throws {
        let x = try tensor([Float](repeating: 0, count: 6), [2, 3])
        XCTAssertThrowsError(try x.topKCorrect(labels: [0, 3], k: 1))
        XCTAssertThrowsError(try x.topKCorrect(labels: [0], k: 1))
        XCTAssertThrowsError(try x.topKCorrect(labels: [0, 1], k: 0))
        XCTAssertThrowsError(try tensor([0, 1, 2], [3]).topKCorrect(labels: [0, 1, 2], k: 1))
    }
}
