import Foundation
import XCTest
import Retort
import RetortTestSupport

/// The softmax KL divergence (forward and reverse): values against the host in Double, gradients
/// against finite differences.
final class SoftmaxKLTests: ContextTestCase {
    private var random = SplitMix64(seed: 37)

    /// `softmax(row / temperature)` of each row, in Double.
    private func probabilities(_ logits: [Float], rows: Int, temperature: Double) -> [[Double]] {
        let columns = logits.count / rows
        return (0..<rows).map { row in
            let z = logits[row * columns..<(row + 1) * columns].map { Double($0) / temperature }
            let top = z.max() ?? 0
            let norm = z.map { Foundation.exp($0 - top) }.reduce(0, +)
            return z.map { Foundation.exp($0 - top) / norm }
        }
    }

    func testValueMatchesTheHost() throws {
        let (rows, columns, temperature, scale): (Int, Int, Float, Float) = (3, 6, 2, 0.75)
        let student = random.floats(rows * columns, in: -3...3), teacher = random.floats(rows * columns, in: -3...3)
        let q = probabilities(student, rows: rows, temperature: Double(temperature))
        let p = probabilities(teacher, rows: rows, temperature: Double(temperature))
        for reverse in [false, true] {
            let (from, to) = reverse ? (q, p) : (p, q)
            var divergence = 0.0
            for (a, b) in zip(from, to) {
                for (x, y) in zip(a, b) { divergence += x * Foundation.log(x / y) }
            }
            let target = try tensor(teacher, [rows, columns])
            let loss = try tensor(student, [rows, columns]).klDivergence(teacher: target, temperature: temperature, scale: scale,
                                                                         reverse: reverse).item()
            XCTAssertEqual(Double(loss), Double(scale) * divergence, accuracy: 1e-5, "reverse: \(reverse)")
        }
        let transposed = try tensor(teacher, [columns, rows])
        XCTAssertThrowsError(try tensor(student, [rows, columns]).klDivergence(teacher: transposed, temperature: 1, scale: 1)) {
            XCTAssertEqual("\($0)", "klDivergence: shapes [3, 6] and [6, 3] do not match.")
        }
    }

    func testGradientsMatchFiniteDifferences() throws {
        let teacher = random.floats(3 * 6, in: -3...3)
        for reverse in [false, true] {
            try checkGradients([(random.floats(3 * 6, in: -3...3), [3, 6])]) { t in
                let target = try Tensor(teacher, shape: [3, 6], context: t[0].context)
                return try t[0].klDivergence(teacher: target, temperature: 2, scale: 1.5, reverse: reverse)
            }
        }
    }
}
