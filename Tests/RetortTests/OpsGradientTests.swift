import XCTest
import Retort
import RetortTestSupport

/// Every differentiable op's backward against central finite differences of its forward.
final class OpsGradientTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    /// `Σ f(x) ⊙ w` with a fixed random `w`: a scalar whose gradient exercises every output element.

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

    func testBatchNormEvaluationMode() throws {
        // Running statistics away from (0, 1), so a backward that ignored them would fail.
        let c = 3
        let runningMean = random.floats(c), runningVariance = random.floats(c, in: 0.3...2)
        try checkGradients([(random.floats(2 * c * 3 * 2), [2, c, 3, 2]), (random.floats(c, in: 0.5...1.5), [c]), (random.floats(c), [c])],
                           tolerance: 1e-2) { t in
            let context = t[0].context
            let mean = try Tensor(runningMean, shape: [c], context: context), variance = try Tensor(runningVariance, shape: [c], context: context)
            return try weightedSum(try t[0].batchNorm(weight: t[1], bias: t[2], runningMean: mean, runningVariance: variance, training: false), seed: 9)
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

    func testConcatenationSliceSplitAndChannelShuffle() throws {
        // Channel concatenation of NCHW tensors (and along other axes), with both inputs getting gradients.
        try checkGradients([(random.floats(2 * 3 * 2 * 2), [2, 3, 2, 2]), (random.floats(2 * 2 * 2 * 2), [2, 2, 2, 2])]) { t in
            try weightedSum(try Tensor.concatenated([t[0], t[1].relu(), t[0]], along: 1), seed: 12)
        }
        try checkGradients([(random.floats(3 * 4), [3, 4]), (random.floats(2 * 4), [2, 4])]) { t in
            try weightedSum(try Tensor.concatenated([t[1], t[0]], along: 0) * 2, seed: 13)
        }
        try checkGradients([(random.floats(3 * 4), [3, 4]), (random.floats(3 * 1), [3, 1])]) { t in
            try weightedSum(try Tensor.concatenated([t[0], t[1]], along: -1), seed: 14)
        }
        // Slices and a split whose parts are used unevenly (one twice, one not at all).
        let x = random.floats(2 * 7 * 3 * 2)
        try checkGradients([(x, [2, 7, 3, 2])]) { t in try weightedSum(try t[0].sliced(2..<5, along: 1), seed: 15) }
        try checkGradients([(x, [2, 7, 3, 2])]) { t in
            let parts = try t[0].split([3, 1, 3], along: 1)
            return try weightedSum(try Tensor.concatenated([parts[2], parts[0], parts[2]], along: 1), seed: 16)
        }
        // Channel shuffles (ShuffleNet's 2 and 3 groups, and the trivial 1), composed with a slice.
        for groups in [1, 2, 3] {
            try checkGradients([(random.floats(2 * 6 * 2 * 3), [2, 6, 2, 3])]) { t in
                try weightedSum(try t[0].channelShuffled(groups: groups).sliced(1..<6, along: 1), seed: 17)
            }
        }
    }

    func testConcatenationSliceAndShuffleValuesAndErrors() throws {
        let a = try tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]), b = try tensor([9, 10, 11, 12], [2, 1, 2, 1])
        XCTAssertEqual(try Tensor.concatenated([a, b], along: 1).toArray(), [1, 2, 3, 4, 9, 10, 5, 6, 7, 8, 11, 12])
        XCTAssertEqual(try Tensor.concatenated([a, b], along: 1).shape, [2, 3, 2, 1])
        XCTAssertEqual(try a.sliced(1..<2, along: 1).toArray(), [3, 4, 7, 8])
        XCTAssertEqual(try a.split([1, 1], along: 1).map { try $0.toArray() }, [[1, 2, 5, 6], [3, 4, 7, 8]])
        // Channels [c0 c1 c2 c3 c4 c5] in 2 groups → [c0 c3 c1 c4 c2 c5].
        let channels = try tensor([0, 1, 2, 3, 4, 5], [1, 6, 1, 1])
        XCTAssertEqual(try channels.channelShuffled(groups: 2).toArray(), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try channels.channelShuffled(groups: 3).toArray(), [0, 2, 4, 1, 3, 5])
        XCTAssertThrowsError(try Tensor.concatenated([a, try tensor([1, 2, 3], [1, 3, 1, 1])], along: 1)) {
            XCTAssertEqual("\($0)", "concatenate along 1: shapes [2, 2, 2, 1] and [1, 3, 1, 1] do not match.")
        }
        XCTAssertThrowsError(try Tensor.concatenated([], along: 0))
        XCTAssertThrowsError(try a.sliced(1..<3, along: 1)) { XCTAssert("\($0)".contains("slice 1..<3 along 1"), "\($0)") }
        XCTAssertThrowsError(try a.sliced(0..<1, along: 4)) { XCTAssert("\($0)".contains("an axis in -4..<4"), "\($0)") }
        XCTAssertThrowsError(try a.split([1, 2], along: 1)) { XCTAssert("\($0)".contains("sizes adding up to 2"), "\($0)") }
        XCTAssertThrowsError(try channels.channelShuffled(groups: 4)) { XCTAssert("\($0)".contains("channelShuffle (groups 4)"), "\($0)") }
    }
}
