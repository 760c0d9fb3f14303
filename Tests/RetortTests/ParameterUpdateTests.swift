import XCTest
import Retort
import RetortTestSupport

/// The multi-tensor optimizer ops (`Tensor.sgdStep(_:options:)`, `Tensor.adamWStep(_:options:)`): the
/// same bits as one per-parameter op each, and the same checks.
final class ParameterUpdateTests: ContextTestCase {
    /// More parameters than one dispatch of either kernel takes, odd and even sizes.
    private let shapes = [[7], [3, 4], [1], [2, 3, 5], [10], [4, 1], [9], [3], [6], [5], [11], [2]]

    /// Each parameter with its two state tensors (momentum; or the two moments), all from `seed`.
    private func parameters(seed: UInt64) throws -> [(parameter: Tensor, first: Tensor, second: Tensor)] {
        var random = SplitMix64(seed: seed)
        return try shapes.map {
            try (tensor(random.floats($0.reduce(1, *)), $0), Tensor.zeros(shape: $0, context: context),
                 Tensor.zeros(shape: $0, context: context))
        }
    }

    private func bits(_ sets: [(parameter: Tensor, first: Tensor, second: Tensor)]) throws -> [[UInt32]] {
        try sets.flatMap { try [$0.parameter, $0.first, $0.second].map { try $0.toArray().map(\.bitPattern) } }
    }

    func testMultiTensorStepsGiveTheBitsOfOneStepPerParameter() throws {
        var random = SplitMix64(seed: 81)
        let sgd = SGDOptions(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true), adamW = AdamWOptions(learningRate: 0.01)
        for optimizer in ["SGD", "AdamW"] {
            let multi = try parameters(seed: 82), single = try parameters(seed: 82)
            for step in 1...2 {
                let gradients = try shapes.map { try tensor(random.floats($0.reduce(1, *)), $0) }
                if optimizer == "SGD" {
                    try Tensor.sgdStep(zip(multi, gradients).map {
                        SGDParameterUpdate(parameter: $0.parameter, gradient: $1, momentumBuffer: $0.first, firstStep: step == 1)
                    }, options: sgd)
                    for (set, gradient) in zip(single, gradients) {
                        try set.parameter.sgdStep(gradient: gradient, momentumBuffer: set.first, options: sgd, firstStep: step == 1)
                    }
                } else {
                    try Tensor.adamWStep(zip(multi, gradients).map {
                        AdamWParameterUpdate(parameter: $0.parameter, gradient: $1, firstMoment: $0.first, secondMoment: $0.second,
                                             step: step)
                    }, options: adamW)
                    for (set, gradient) in zip(single, gradients) {
                        try set.parameter.adamWStep(gradient: gradient, firstMoment: set.first, secondMoment: set.second, step: step,
                                                    options: adamW)
                    }
                }
            }
            XCTAssertEqual(try bits(multi), try bits(single), optimizer)
        }
    }

    func testOperandsMustMatchTheirParameterAndContext() throws {
        let sets = try parameters(seed: 83)
        let other = try Context(device: context.device)
        let stranger = try Tensor([1, 2, 3, 4, 5, 6, 7], shape: [7], context: other)
        let sgd = SGDOptions(learningRate: 0.1)
        let misshaped = SGDParameterUpdate(parameter: sets[0].parameter, gradient: sets[1].parameter, momentumBuffer: nil, firstStep: true)
        XCTAssertThrowsError(try Tensor.sgdStep([misshaped], options: sgd)) {
            XCTAssertEqual("\($0)", "sgdStep: shapes [7] and [3, 4] do not match.")
        }
        let misshapedMoment = AdamWParameterUpdate(parameter: sets[0].parameter, gradient: sets[0].first, firstMoment: sets[0].second,
                                                   secondMoment: sets[1].first, step: 1)
        XCTAssertThrowsError(try Tensor.adamWStep([misshapedMoment], options: .init())) {
            XCTAssertEqual("\($0)", "adamWStep: shapes [7] and [3, 4] do not match.")
        }
        let mixed = [sets[0], (stranger, sets[0].first, sets[0].second)].map {
            SGDParameterUpdate(parameter: $0.0, gradient: $0.1, momentumBuffer: nil, firstStep: true)
        }
        XCTAssertThrowsError(try Tensor.sgdStep(mixed, options: sgd)) { XCTAssert("\($0)".contains("different contexts"), "\($0)") }
        try Tensor.sgdStep([], options: sgd)
        try Tensor.adamWStep([], options: .init())
        XCTAssertEqual(try sets[0].parameter.toArray(), try parameters(seed: 83)[0].parameter.toArray(), "a refused step changes nothing")
    }
}
