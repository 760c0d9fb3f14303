import XCTest
import Retort
import RetortTestSupport

/// Every differentiable op's backward against central finite differences of its forward.
final class OpsGradientTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    /// `Σ f(x) ⊙ w` with a fixed random `w`: a scalar whose gradient exercises every output element.
    private func weightedSum(_ y: Tensor, seed: UInt64) throws -> Tensor {
        var generator = SplitMix64(seed: seed)
        return try (y * Tensor(generator.floats(y.count), shape: y.shape, context: y.context)).sum()
    }

    func testBroadcastArithmetic() throws {
        let x = random.floats(2 * 3 * 2 * 2)
        for other in [[3], [1, 3, 1, 1], [2], [1]] {
            let y = random.floats(other.reduce(1, *), in: 0.5...1.5)
            try checkGradients([(x, [2, 3, 2, 2]), (y, other)]) { t in
                try weightedSum(try (t[0] * t[1] + t[0] - t[1]) * 0.5, seed: 1)
            }
        }
    }

    func testDivisionReluReshapeAndMean() throws {
        // Keep ReLU inputs away from the kink at 0.
        let x = random.floats(12).map { $0 < 0 ? $0 - 0.2 : $0 + 0.2 }
        try checkGradients([(x, [3, 4]), (random.floats(12, in: 0.5...2), [3, 4])]) { t in
            try weightedSum(try (t[0] / t[1]).relu().reshaped([2, -1]).flattened(from: 0), seed: 2)
        }
        try checkGradients([(x, [3, 4])]) { t in try t[0].relu().mean() }
    }

    func testLinear() throws {
        try checkGradients([(random.floats(5 * 4), [5, 4]), (random.floats(3 * 4), [3, 4]), (random.floats(3), [3])]) { t in
            try weightedSum(try t[0].linear(weight: t[1], bias: t[2]), seed: 3)
        }
    }

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

    func testBatchNormTrainingMode() throws {
        let c = 3
        try checkGradients([(random.floats(2 * c * 3 * 2), [2, c, 3, 2]), (random.floats(c, in: 0.5...1.5), [c]), (random.floats(c), [c])],
                           tolerance: 2e-2) { t in
            let context = t[0].context
            let mean = try Tensor.zeros(shape: [c], context: context), variance = try Tensor.full(1, shape: [c], context: context)
            return try weightedSum(try t[0].batchNorm(weight: t[1], bias: t[2], runningMean: mean, runningVariance: variance, training: true), seed: 4)
        }
    }

    func testPooling() throws {
        // Distinct values keep max pooling away from ties.
        let x: [Float] = (0..<144).map { (index: Int) -> Float in Float((index * 37) % 144) / 50 }
        try checkGradients([(x, [2, 2, 6, 6])]) { t in try weightedSum(try t[0].maxPool2d(kernel: 2), seed: 5) }
        try checkGradients([(x, [2, 2, 6, 6])]) { t in try weightedSum(try t[0].maxPool2d(kernel: 3, stride: 2, padding: 1), seed: 6) }
        try checkGradients([(x, [2, 2, 6, 6])]) { t in try weightedSum(try t[0].avgPool2d(kernel: 3, stride: 2, padding: 1), seed: 7) }
        try checkGradients([(x, [2, 2, 6, 6])]) { t in try weightedSum(try t[0].globalAvgPool2d(), seed: 8) }
    }

    func testConvolution() throws {
        let x = random.floats(2 * 4 * 5 * 5)
        // Plain 3×3 with bias, strided and padded, and a depthwise 3×3 with dilation.
        try checkGradients([(x, [2, 4, 5, 5]), (random.floats(3 * 4 * 9), [3, 4, 3, 3]), (random.floats(3), [3])]) { t in
            try weightedSum(try t[0].conv2d(weight: t[1], bias: t[2], padding: 1), seed: 9)
        }
        try checkGradients([(x, [2, 4, 5, 5]), (random.floats(6 * 2 * 9), [6, 2, 3, 3])]) { t in
            try weightedSum(try t[0].conv2d(weight: t[1], stride: 2, padding: 1, groups: 2), seed: 10)
        }
        try checkGradients([(x, [2, 4, 5, 5]), (random.floats(4 * 9), [4, 1, 3, 3])]) { t in
            try weightedSum(try t[0].conv2d(weight: t[1], padding: 2, dilation: 2, groups: 4), seed: 11)
        }
        XCTAssertThrowsError(try tensor(x, [2, 4, 5, 5]).conv2d(weight: tensor(random.floats(3 * 3 * 9), [3, 3, 3, 3]))) {
            XCTAssert("\($0)".contains("conv2d"), "\($0)")
        }
    }

    func testShapeErrorsNameTheOp() throws {
        XCTAssertThrowsError(try tensor([1, 2, 3, 4], [2, 2]) + tensor([1, 2, 3], [3])) {
            XCTAssertEqual("\($0)", "add: shapes [2, 2] and [3] do not match.")
        }
        XCTAssertThrowsError(try tensor([1, 2], [1, 2]).linear(weight: tensor([1, 2, 3], [1, 3]), bias: nil)) {
            XCTAssertEqual("\($0)", "linear: shapes [1, 2] and [1, 3] do not match.")
        }
        XCTAssertThrowsError(try tensor([1, 2], [2]).maxPool2d(kernel: 2))
        XCTAssertThrowsError(try tensor([1, 2, 3, 4], [4]).reshaped([3]))
    }
}
