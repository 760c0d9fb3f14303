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
        var expected: [Double] = [], correct: [Float] = []
        for row in 0..<rows {
            let s = scores[row * classes..<(row + 1) * classes].map { $0 }
            let weights = (0..<classes).map { c in c == labels[row] ? 0 : Foundation.pow(Double(1 + s.filter { $0 > s[c] }.count), -power) }
            let total = weights.reduce(0, +)
            expected += weights.map { $0 / total }
            correct.append(s.firstIndex(of: s.max()!) == labels[row] ? 1 : 0)
        }
        let targets = try tensor(scores, [rows, classes]).zipfTargets(labels: labels, power: Float(power))
        XCTAssertLessThan(maxRelativeError(try targets.distribution.toArray(), expected), 1e-6)
        XCTAssertEqual(try targets.correct.toArray(), correct)
        XCTAssertEqual(correct, [1, 0, 1])
        XCTAssertThrowsError(try tensor(scores, [rows, classes]).zipfTargets(labels: [0, 5, 1])) {
            XCTAssert("\($0)".contains("labels in 0..<5, got 5"), "\($0)")
        }
    }
}
