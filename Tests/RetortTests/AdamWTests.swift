import XCTest
import Retort
import RetortTestSupport

/// The AdamW update op against a Double re-implementation of `torch.optim.AdamW`'s update rule.
final class AdamWTests: ContextTestCase {
    private var random = SplitMix64(seed: 71)

    func testStepsMatchPyTorchsUpdateRule() throws {
        let configurations: [AdamWOptions] = [
            .init(),
            .init(learningRate: 0.1, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1),
            .init(learningRate: 0.01, weightDecay: 0, maximize: true),
        ]
        // 7 elements take the scalar kernel, [3, 4] the one that updates four at a time.
        for shape in [[7], [3, 4]] {
            for options in configurations {
                let count = shape.reduce(1, *)
                let initial = random.floats(count)
                var expected = initial.map(Double.init), m = [Double](repeating: 0, count: count), v = m
                let parameter = try tensor(initial, shape, requiresGrad: true)
                let firstMoment = try Tensor.zeros(shape: shape, context: context)
                let secondMoment = try Tensor.zeros(shape: shape, context: context)
                for step in 1...3 {
                    let gradient = random.floats(count, in: -1...1).map { $0 * Float(step) * 0.5 }
                    try parameter.adamWStep(gradient: tensor(gradient, shape), firstMoment: firstMoment, secondMoment: secondMoment,
                                            step: step, options: options)
                    OptimizerOracle.adamW(parameters: &expected, gradients: gradient.map(Double.init), m: &m, v: &v, step: step,
                                             options: options)
                    let label = "\(options), \(shape), step \(step)"
                    XCTAssertLessThanOrEqual(maxRelativeError(try parameter.toArray(), expected), 1e-5, label)
                    XCTAssertLessThanOrEqual(maxRelativeError(try firstMoment.toArray(), m), 1e-5, "m: " + label)
                    XCTAssertLessThanOrEqual(maxRelativeError(try secondMoment.toArray(), v), 1e-5, "v: " + label)
                }
            }
        }
    }

    func testOperandsMustMatchTheParameter() throws {
        let parameter = try tensor([1, 2, 3, 4], [2, 2]), gradient = try tensor([1, 1, 1, 1], [2, 2])
        let moment = try Tensor.zeros(shape: [2, 2], context: context), options = AdamWOptions()
        let short = try tensor([0, 0], [2]), other = try Tensor.zeros(shape: [2, 2], context: context)
        XCTAssertThrowsError(try parameter.adamWStep(gradient: gradient, firstMoment: moment, secondMoment: short,
                                                     step: 1, options: options)) {
            XCTAssertEqual("\($0)", "adamWStep: shapes [2, 2] and [2] do not match.")
        }
        XCTAssertThrowsError(try parameter.adamWStep(gradient: gradient, firstMoment: moment, secondMoment: moment,
                                                     step: 1, options: options)) {
            XCTAssert("\($0)".contains("must be distinct buffers"), "\($0)")
        }
        XCTAssertThrowsError(try parameter.adamWStep(gradient: gradient, firstMoment: moment, secondMoment: other,
                                                     step: 0, options: options)) {
            XCTAssert("\($0)".contains("steps are numbered from 1"), "\($0)")
        }
        XCTAssertEqual(try parameter.toArray(), [1, 2, 3, 4], "a refused step changes nothing")
    }
}
