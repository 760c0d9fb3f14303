import XCTest
import Retort
import RetortTestSupport

/// Cross-entropy (with the KL divergence it is trained beside) against the host and finite differences.
final class CrossEntropyTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    func testCrossEntropyAndKL() throws {
        let labels = [2, 0, 4, 1]
        try checkGradients([(random.floats(4 * 5, in: -3...3), [4, 5])]) { t in
            try t[0].crossEntropy(labels: labels, labelSmoothing: 0.1)
        }
        let teacher = random.floats(4 * 5, in: -3...3)
        for reverse in [false, true] {
            try checkGradients([(random.floats(4 * 5, in: -3...3), [4, 5])]) { t in
                let target = try Tensor(teacher, shape: [4, 5], context: t[0].context)
                return try t[0].klDivergence(teacher: target, temperature: 4, scale: 16 / 4, reverse: reverse)
            }
        }
    }

    func testCrossEntropyValueMatchesTheHost() throws {
        let logits: [Float] = [1, 2, 3, 0, 0, 5]
        let loss = try tensor(logits, [2, 3]).crossEntropy(labels: [2, 0]).item()
        let row0 = -log(exp(3.0) / (exp(1.0) + exp(2.0) + exp(3.0)))
        let row1 = -log(1 / (2 + exp(5.0)))
        XCTAssertEqual(Double(loss), (row0 + row1) / 2, accuracy: 1e-5)
        XCTAssertThrowsError(try tensor(logits, [2, 3]).crossEntropy(labels: [3, 0])) { error in
            XCTAssert("\(error)".contains("labels in 0..<3"), "\(error)")
        }
    }
}
