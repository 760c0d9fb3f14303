import XCTest
@testable import RetortCompute
import RetortTestSupport

/// The multi-tensor AdamW step against the Double reference of `torch.optim.AdamW` and, bit for bit,
/// against one ``AdamWLauncher`` dispatch per tensor.
final class AdamWMultiTensorTests: DeviceTestCase {
    private func operands(_ buffers: OptimizerBuffers, _ indices: [Int], steps: [Int]) -> [AdamWMultiTensorLauncher.Operand] {
        indices.map {
            .init(parameters: buffers.parameters[$0], gradients: buffers.gradients[$0], firstMoment: buffers.states[0][$0],
                  secondMoment: buffers.states[1][$0], count: buffers.count($0), step: steps[$0])
        }
    }

    /// Tensors that missed a gradient lag a step behind: each step number takes its own dispatches.
    func testStepsMatchPyTorchAndThePerTensorKernel() throws {
        let launcher = try AdamWMultiTensorLauncher(device: device)
        XCTAssertNotNil(launcher.multiTensorKernel, "every device Retort runs on in tests binds 8 tensors at once")
        let counts = MultiTensorOptimizerRun.counts
        for (name, options) in OptimizerTests.adamWConfigurations {
            var expected: [[Double]] = []
            var m = counts.map { [Double](repeating: 0, count: $0) }, v = m
            var steps = [Int](repeating: 0, count: counts.count)
            try MultiTensorOptimizerRun(states: 2, fill: 0).run(device, seed: 53, label: name) { stream, buffers, active, multiTensor in
                if expected.isEmpty { expected = try buffers.parameters.map { try $0.read(Float.self).map(Double.init) } }
                if multiTensor {
                    for index in active { steps[index] += 1 }
                    try launcher.encodeStep(into: stream, operands: operands(buffers, active, steps: steps), options: options)
                    let dispatches = Set(active.map { steps[$0] }).reduce(0) { total, step in
                        total + (active.filter { steps[$0] == step }.count + 7) / 8
                    }
                    XCTAssertEqual(stream.dispatchCount, dispatches, "8 tensors of one step number per dispatch")
                } else {
                    for operand in operands(buffers, active, steps: steps) {
                        try launcher.single.encodeStep(into: stream, parameters: operand.parameters, gradients: operand.gradients,
                                                       firstMoment: operand.firstMoment, secondMoment: operand.secondMoment,
                                                       count: operand.count, step: operand.step, options: options)
                    }
                }
            } check: { round, buffers, gradients in
                for (index, gradient) in gradients {
                    OptimizerOracle.adamW(parameters: &expected[index], gradients: gradient.map(Double.init), m: &m[index], v: &v[index],
                                             step: steps[index], options: options)
                    let label = "\(name), tensor \(index) of \(counts[index]), round \(round)"
                    XCTAssertLessThanOrEqual(maxRelativeError(try buffers.parameters[index].read(Float.self), expected[index]), 1e-4, label)
                    XCTAssertLessThanOrEqual(maxRelativeError(try buffers.states[0][index].read(Float.self), m[index]), 1e-4, "m, " + label)
                    XCTAssertLessThanOrEqual(maxRelativeError(try buffers.states[1][index].read(Float.self), v[index]), 1e-4, "v, " + label)
                }
            }
        }
    }

    func testBadOperandsAreInvalidArgumentsAndRecordNothing() throws {
        let launcher = try AdamWMultiTensorLauncher(device: device), stream = try device.makeStream()
        let tensors = try OptimizerBuffers(device, initial: [[1, 2, 3], [4, 5, 6]], states: 2, filledWith: 0)
        let cases: [(String, AdamWLauncher.Options, (inout [AdamWMultiTensorLauncher.Operand]) -> Void)] = [
            ("the same moments twice", .init(), { $0[1].secondMoment = $0[0].secondMoment }),
            ("a gradient that another tensor updates", .init(), { $0[1].gradients = $0[0].parameters }),
            ("step 0", .init(), { $0[1].step = 0 }),
            ("beta 1", .init(beta2: 1), { _ in }),
        ]
        for (label, options, change) in cases {
            var changed = operands(tensors, [0, 1], steps: [1, 1])
            change(&changed)
            assertInvalidArgument(label) { try launcher.encodeStep(into: stream, operands: changed, options: options) }
        }
        try launcher.encodeStep(into: stream, operands: [], options: .init())
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
