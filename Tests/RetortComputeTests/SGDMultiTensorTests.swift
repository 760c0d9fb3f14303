import XCTest
@testable import RetortCompute
import RetortTestSupport

/// The multi-tensor SGD step against the Double reference of `torch.optim.SGD` and, bit for bit,
/// against one ``SGDLauncher`` dispatch per tensor.
final class SGDMultiTensorTests: DeviceTestCase {
    func testStepsMatchPyTorchAndThePerTensorKernel() throws {
        let launcher = try SGDMultiTensorLauncher(device: device)
        XCTAssertNotNil(launcher.multiTensorKernel, "every device Retort runs on in tests binds 10 tensors at once")
        let counts = MultiTensorOptimizerRun.counts
        for (name, options) in OptimizerTests.sgdConfigurations {
            var expected: [[Double]] = [], expectedBuffers = [[Double]?](repeating: nil, count: counts.count)
            var started = Set<Int>()
            // The momentum buffers start as NaN: each tensor's first step must overwrite its buffer.
            try MultiTensorOptimizerRun(states: 1, fill: .nan).run(device, seed: 51, label: name) { stream, buffers, active, multiTensor in
                if expected.isEmpty { expected = try buffers.parameters.map { try $0.read(Float.self).map(Double.init) } }
                let operands = active.map {
                    SGDMultiTensorLauncher.Operand(parameters: buffers.parameters[$0], gradients: buffers.gradients[$0],
                                                   momentumBuffer: buffers.states[0][$0], count: buffers.count($0),
                                                   firstStep: !started.contains($0))
                }
                if multiTensor {
                    try launcher.encodeStep(into: stream, operands: operands, options: options)
                    XCTAssertEqual(stream.dispatchCount, (active.count + 9) / 10, "10 tensors per dispatch")
                } else {
                    for operand in operands {
                        try launcher.single.encodeStep(into: stream, parameters: operand.parameters, gradients: operand.gradients,
                                                       momentumBuffer: operand.momentumBuffer, count: operand.count, options: options,
                                                       firstStep: operand.firstStep)
                    }
                    started.formUnion(active)
                }
            } check: { round, buffers, gradients in
                for (index, gradient) in gradients {
                    OptimizerOracle.sgd(parameters: &expected[index], gradients: gradient.map(Double.init),
                                           buffer: &expectedBuffers[index], options: options)
                    let label = "\(name), tensor \(index) of \(counts[index]), round \(round)"
                    XCTAssertLessThanOrEqual(maxRelativeError(try buffers.parameters[index].read(Float.self), expected[index]), 1e-4, label)
                    if let buffer = expectedBuffers[index] {
                        let momentum = try buffers.states[0][index].read(Float.self)
                        XCTAssertLessThanOrEqual(maxRelativeError(momentum, buffer), 1e-4, "buffer, " + label)
                    }
                }
            }
        }
    }

    func testBadOperandsAreInvalidArgumentsAndRecordNothing() throws {
        let launcher = try SGDMultiTensorLauncher(device: device), stream = try device.makeStream()
        let tensors = try OptimizerBuffers(device, initial: [[Float](repeating: 1, count: 100)] + [[Float](repeating: 1, count: 100)],
                                           states: 1, filledWith: 0)
        let momentum = SGDLauncher.Options(learningRate: 0.1, momentum: 0.9)
        func refuses(_ label: String, options: SGDLauncher.Options = momentum, _ change: (inout [SGDMultiTensorLauncher.Operand]) -> Void) {
            var changed = [0, 1].map {
                SGDMultiTensorLauncher.Operand(parameters: tensors.parameters[$0], gradients: tensors.gradients[$0],
                                               momentumBuffer: tensors.states[0][$0], count: 100, firstStep: true)
            }
            change(&changed)
            assertInvalidArgument(label) { try launcher.encodeStep(into: stream, operands: changed, options: options) }
        }
        try launcher.encodeStep(into: stream, operands: [], options: momentum)
        refuses("the same parameters twice") { $0[1] = $0[0] }
        refuses("a gradient that another tensor updates") { $0[1].gradients = $0[0].momentumBuffer! }
        refuses("a count beyond the buffers") { $0[1].count = 101 }
        refuses("no momentum buffer") { $0[1].momentumBuffer = nil }
        refuses("nesterov with dampening", options: .init(learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)) { _ in }
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
