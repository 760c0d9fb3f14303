import XCTest
import Retort
import RetortNN
import RetortTestSupport

/// ``SGDOptimizer`` and ``AdamWOptimizer`` update each parameter group with one multi-tensor step:
/// the same bits as one per-parameter op each with the group's options, in a few dispatches.
final class ConfigurableOptimizerTests: ContextTestCase {
    /// Weights with the optimizer's weight decay, the rest (batch norm, biases) without, as
    /// training recipes group them.
    private func groups(_ model: any Module) -> [ParameterGroup] {
        let parameters = model.parameters()
        return [ParameterGroup(parameters.filter { $0.shape.count > 1 }),
                ParameterGroup(parameters.filter { $0.shape.count == 1 }, weightDecay: 0)]
    }

    func testGroupStepsGiveTheBitsOfOneStepPerParameter() throws {
        var generator = SplitMix64(seed: 5)
        let x = try Tensor(generator.floats(2 * 3 * 32 * 32), shape: [2, 3, 32, 32], context: context)
        for adam in [false, true] {
            let models = try (0..<2).map { _ in try ModelZoo.make("resnet8", classes: 10, context: context, seed: 3) }
            let sgdOptions = SGDOptions(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
            let adamOptions = AdamWOptions(learningRate: 1e-2, weightDecay: 0.05)
            let optimizer: any Optimizer = adam ? try AdamWOptimizer(groups(models[0]), options: adamOptions, context: context)
                                                : try SGDOptimizer(groups(models[0]), options: sgdOptions, context: context)
            var states: [ObjectIdentifier: (Tensor, Tensor)] = [:]
            for step in 1...2 {
                for model in models {
                    for parameter in model.parameters() { try parameter.zeroGrad() }
                    try model(x).crossEntropy(labels: [1, 7]).backward()
                }
                try context.synchronize()
                try optimizer.step()
                let sizes = optimizer.groups.map(\.parameters.count), perDispatch = adam ? 8 : 10
                XCTAssertEqual(context.stream.dispatchCount, sizes.reduce(0) { $0 + ($1 + perDispatch - 1) / perDispatch }, "adam: \(adam)")
                for group in groups(models[1]) {
                    for parameter in group.parameters {
                        let zeros = { try Tensor.zeros(shape: parameter.shape, context: self.context) }
                        let state = try states[ObjectIdentifier(parameter)] ?? (zeros(), zeros())
                        states[ObjectIdentifier(parameter)] = state
                        let gradient = try XCTUnwrap(parameter.grad)
                        if adam {
                            var options = adamOptions
                            options.weightDecay = group.weightDecay ?? options.weightDecay
                            try parameter.adamWStep(gradient: gradient, firstMoment: state.0, secondMoment: state.1, step: step,
                                                    options: options)
                        } else {
                            var options = sgdOptions
                            options.weightDecay = group.weightDecay ?? options.weightDecay
                            try parameter.sgdStep(gradient: gradient, momentumBuffer: state.0, options: options, firstStep: step == 1)
                        }
                    }
                }
            }
            let bits = try models.map { try $0.parameters().map { try $0.toArray().map(\.bitPattern) } }
            XCTAssertEqual(bits[0], bits[1], "adam: \(adam)")
            XCTAssertNotEqual(bits[0], try ModelZoo.make("resnet8", classes: 10, context: context, seed: 3).parameters().map {
                try $0.toArray().map(\.bitPattern)
            }, "the steps changed the parameters")
        }
    }
}
