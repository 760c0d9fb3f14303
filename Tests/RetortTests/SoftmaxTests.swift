import XCTest
import Retort
import RetortTestSupport

/// Softmax and log-softmax with a temperature: values against the host, gradients against finite differences.
final class SoftmaxTests: ContextTestCase {
    private var random = SplitMix64(seed: 29)

    func testSoftmaxAndLogSoftmaxWithTemperature() throws {
        let x = random.floats(3 * 5, in: -3...3)
        let probabilities = try tensor(x, [3, 5]).softmax(temperature: 2).toArray()
        let logs = try tensor(x, [3, 5]).logSoftmax(temperature: 2).toArray()
        for row in 0..<3 {
            let z = x[row * 5..<(row + 1) * 5].map { Double($0) / 2 }
            let norm = z.map { Foundation.exp($0) }.reduce(0, +)
            for c in 0..<5 {
                XCTAssertEqual(Double(probabilities[row * 5 + c]), Foundation.exp(z[c]) / norm, accuracy: 1e-6)
                XCTAssertEqual(Double(logs[row * 5 + c]), z[c] - Foundation.log(norm), accuracy: 1e-5)
            }
        }
        try checkGradients([(x, [3, 5])]) { t in try weightedSum(try t[0].softmax(temperature: 2), seed: 5) }
        try checkGradients([(x, [3, 5])]) { t in try weightedSum(try t[0].logSoftmax(temperature: 0.5), seed: 6) }
    }
}
