import XCTest
import Retort
import RetortTestSupport

/// Batch normalization in training and evaluation mode, with and without the fused ReLU, against
/// finite differences.
final class BatchNormTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    /// `[2, c, 3, 2]` values whose channels hold ±a pairs with a ∈ [0.5, 1] (mean 0), so every
    /// normalized value is at least ~0.6 from 0: the fused ReLU's kink stays beyond the finite-difference steps.
    private func valuesAwayFromTheMean(channels c: Int) -> [Float] {
        var values: [Float] = []
        for _ in 0..<c {
            var channel = random.floats(6, in: 0.5...1).flatMap { [$0, -$0] }
            channel.shuffle(using: &random)
            values += channel
        }
        // [c, 12] → [2, c, 6]: sample n takes elements 6n..<6n + 6 of each channel.
        var samples: [Float] = []
        for n in 0..<2 {
            for channel in 0..<c { samples += values[(channel * 12 + n * 6)..<(channel * 12 + n * 6 + 6)] }
        }
        return samples
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

    func testBatchNormReLUTrainingMode() throws {
        let c = 3
        try checkGradients([(valuesAwayFromTheMean(channels: c), [2, c, 3, 2]), (random.floats(c, in: 0.5...1.5), [c]),
                            (random.floats(c, in: -0.1...0.1), [c])], tolerance: 2e-2) { t in
            let context = t[0].context
            let mean = try Tensor.zeros(shape: [c], context: context), variance = try Tensor.full(1, shape: [c], context: context)
            let y = try t[0].batchNorm(weight: t[1], bias: t[2], runningMean: mean, runningVariance: variance, training: true,
                                       activation: .relu)
            return try weightedSum(y, seed: 4)
        }
    }

    func testBatchNormReLUEvaluationMode() throws {
        let c = 3
        let runningMean = random.floats(c), runningVariance = random.floats(c, in: 0.3...2)
        // x = runningMean ± [0.5, 1] per channel, so the normalized values stay away from the kink.
        let x = valuesAwayFromTheMean(channels: c).enumerated().map { index, value in value + runningMean[(index / 6) % c] }
        try checkGradients([(x, [2, c, 3, 2]), (random.floats(c, in: 0.5...1.5), [c]), (random.floats(c, in: -0.1...0.1), [c])],
                           tolerance: 1e-2) { t in
            let context = t[0].context
            let mean = try Tensor(runningMean, shape: [c], context: context)
            let variance = try Tensor(runningVariance, shape: [c], context: context)
            let y = try t[0].batchNorm(weight: t[1], bias: t[2], runningMean: mean, runningVariance: variance, training: false,
                                       activation: .relu)
            return try weightedSum(y, seed: 9)
        }
    }

    /// The fused op gives the bits of batch norm then ReLU, forward and backward, in both modes,
    /// including a channel that normalizes to exactly 0 (where the ReLU passes no gradient).
    func testBatchNormReLUEqualsBatchNormThenReLU() throws {
        let (n, c, h, w) = (2, 3, 5, 4)
        var x = random.floats(n * c * h * w)
        for sample in 0..<n { for i in 0..<(h * w) { x[(sample * c + 1) * h * w + i] = 0.5 } }
        let weight = random.floats(c, in: 0.5...1.5)
        var bias = random.floats(c)
        bias[1] = 0
        for training in [true, false] {
            var results: [[[Float]]] = []
            for activation in [Tensor.Activation.relu, .identity] {
                let input = try tensor(x, [n, c, h, w], requiresGrad: true)
                let gamma = try tensor(weight, [c], requiresGrad: true), beta = try tensor(bias, [c], requiresGrad: true)
                let mean = try tensor([0, 0.5, 0], [c]), variance = try tensor([1, 1, 1], [c])
                let normalized = try input.batchNorm(weight: gamma, bias: beta, runningMean: mean, runningVariance: variance,
                                                     training: training, activation: activation)
                let y = activation == .relu ? normalized : try normalized.relu()
                try weightedSum(y, seed: 5).backward()
                results.append([try y.toArray(), try XCTUnwrap(input.grad).toArray(), try XCTUnwrap(gamma.grad).toArray(),
                                try XCTUnwrap(beta.grad).toArray()])
            }
            for (index, name) in ["y", "dx", "dweight", "dbias"].enumerated() {
                XCTAssertEqual(results[0][index].map(\.bitPattern), results[1][index].map(\.bitPattern), "\(name), training: \(training)")
            }
            XCTAssertEqual(results[0][3][1], 0, "dbias of the zero channel, training: \(training)")
        }
    }
}
