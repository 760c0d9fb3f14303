import XCTest
import Retort
import RetortTestSupport

/// The SGD update op against a Double re-implementation of `torch.optim.SGD`'s update rule.
final class SGDTests: ContextTestCase {
    private var random = SplitMix64(seed: 67)

    func testStepsMatchPyTorchsUpdateRule() throws {
        let configurations: [SGDOptions] = [
            .init(learningRate: 0.1),
            .init(learningRate: 0.05, momentum: 0.9),
            .init(learningRate: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.05),
            .init(learningRate: 0.02, momentum: 0.5, weightDecay: 0.1, nesterov: true, maximize: true),
        ]
        // 7 elements take the scalar kernel, [3, 4] the one that updates four at a time.
        for shape in [[7], [3, 4]] {
            for options in configurations {
                let count = shape.reduce(1, *)
                let initial = random.floats(count)
                var expected = initial.map(Double.init), expectedBuffer: [Double]? = nil
                let parameter = try tensor(initial, shape, requiresGrad: true)
                let buffer = try tensor([Float](repeating: .nan, count: count), shape)  // the first step must overwrite it
                for step in 1...3 {
                    let gradient = random.floats(count, in: -2...2)
                    var stepOptions = options
                    stepOptions.learningRate = options.learningRate / Double(step)
                    try parameter.sgdStep(gradient: tensor(gradient, shape), momentumBuffer: buffer, options: stepOptions,
                                          firstStep: step == 1)
                    OptimizerOracle.sgd(parameters: &expected, gradients: gradient.map(Double.init), buffer: &expectedBuffer,
                                           options: stepOptions)
                    let label = "\(options), \(shape), step \(step)"
                    XCTAssertLessThanOrEqual(maxRelativeError(try parameter.toArray(), expected), 1e-5, label)
                    if let expectedBuffer {
                        XCTAssertLessThanOrEqual(maxRelativeError(try buffer.toArray(), expectedBuffer), 1e-5, "buffer: " + label)
                    }
                }
            }
        }
    }

    func testOperandsMustMatchTheParameter() throws {
        let parameter = try tensor([1, 2, 3, 4], [2, 2]), gradient = try tensor([1, 1, 1, 1], [2, 2])
        let plain = SGDOptions(learningRate: 0.1), momentum = SGDOptions(learningRate: 0.1, momentum: 0.9)
        let flat = try tensor([1, 1, 1, 1], [4])
        XCTAssertThrowsError(try parameter.sgdStep(gradient: flat, momentumBuffer: nil, options: plain, firstStep: true)) {
            XCTAssertEqual("\($0)", "sgdStep: shapes [2, 2] and [4] do not match.")
        }
        XCTAssertThrowsError(try parameter.sgdStep(gradient: gradient, momentumBuffer: nil, options: momentum, firstStep: true)) {
            XCTAssert("\($0)".contains("needs a momentum buffer"), "\($0)")
        }
        XCTAssertEqual(try parameter.toArray(), [1, 2, 3, 4], "a refused step changes nothing")
    }
}
