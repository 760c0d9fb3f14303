import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// Zipf label-smoothing targets against the host: ranks with ties sharing the smallest, the label
/// zeroed, the rest normalised; and the argmax-equals-label mask.
final class ZipfTargetsTests: ContextTestCase {
    func testTargetsMatchTheHost() throws {
        // Row 1 has ties; row 2's maximum is tied, so the first maximum decides `correct`.
        let scores: [Float] = [0.5, 2, -1, 0.25, 3, 1, 1, 0, 2, 1, 4, 1, 4, 0, -2]
        let labels = [4, 0, 0]
        let (rows, classes, power) = (3, 5, 1.5)
        let oracle = ZipfOracle.targets(scores: scores, labels: labels, classes: classes, power: power)
        let (expected, correct) = (oracle.distribution, oracle.correct.map(Float.init))
        let targets = try tensor(scores, [rows, classes]).zipfTargets(labels: labels, power: Float(power))
        XCTAssertLessThan(maxRelativeError(try targets.distribution.toArray(), expected), 1e-6)
        XCTAssertEqual(try targets.correct.toArray(), correct)
        XCTAssertEqual(correct, [1, 0, 1])
        XCTAssertThrowsError(try tensor(scores, [rows, classes]).zipfTargets(labels: [0, 5, 1])) {
            XCTAssert("\($0)".contains("labels in 0..<5, got 5"), "\($0)")
        }
    }
}
