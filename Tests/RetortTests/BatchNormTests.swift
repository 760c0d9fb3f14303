import XCTest
import Retort
import RetortTestSupport

/// Batch normalization in training and evaluation mode against finite differences.
final class BatchNormTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

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
}
