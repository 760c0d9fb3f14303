import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class OptimizerTests: DeviceTestCase {
    static let counts = [1, 7, 33, 1000, 65_537]

    /// Every SGD feature, alone and combined (also the multi-tensor kernel's cases).
    static let sgdConfigurations: [(String, SGDLauncher.Options)] = [
        ("plain", .init(learningRate: 0.1)),
        ("momentum", .init(learningRate: 0.05, momentum: 0.9)),
        ("nesterov", .init(learningRate: 0.05, momentum: 0.9, nesterov: true)),
        ("weight decay", .init(learningRate: 0.1, weightDecay: 5e-4 * 100)),
        ("momentum, dampening, weight decay", .init(learningRate: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.05)),
        ("nesterov, weight decay, maximize", .init(learningRate: 0.02, momentum: 0.5, weightDecay: 0.1, nesterov: true, maximize: true)),
    ]

    /// AdamW's defaults, large steps, and maximizing without decay (also the multi-tensor kernel's cases).
    static let adamWConfigurations: [(String, AdamWLauncher.Options)] = [
        ("defaults", .init()),
        ("large steps", .init(learningRate: 0.1, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1)),
        ("no decay, maximize", .init(learningRate: 0.01, weightDecay: 0, maximize: true)),
    ]

    func testSGDMatchesPyTorchOverThreeSteps() throws {
        let sgd = try SGDLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 41)
        for count in Self.counts {
            for (name, options) in Self.sgdConfigurations {
                let initial = random.floats(count)
                var expected = initial.map(Double.init)
                var expectedBuffer: [Double]? = nil
                let parameters = try device.makeBuffer(initial)
                let gradients = try device.makeBuffer(byteCount: count * 4)
                let momentum = try device.makeBuffer([Float](repeating: .nan, count: count))  // the first step must overwrite it
                for step in 1...3 {
                    let g = random.floats(count, in: -2...2)
                    try gradients.write(g)
                    // A learning-rate schedule: a new rate each step, same pipeline.
                    var stepOptions = options
                    stepOptions.learningRate = options.learningRate / Double(step)
                    try sgd.encodeStep(into: stream, parameters: parameters, gradients: gradients, momentumBuffer: momentum, count: count,
                                       options: stepOptions, firstStep: step == 1)
                    try stream.run()
                    OptimizerOracle.sgd(parameters: &expected, gradients: g.map(Double.init), buffer: &expectedBuffer, options: stepOptions)
                    XCTAssertLessThanOrEqual(maxRelativeError(try parameters.read(Float.self), expected), 1e-4, "\(name), \(count), step \(step)")
                    if let expectedBuffer {
                        XCTAssertLessThanOrEqual(maxRelativeError(try momentum.read(Float.self), expectedBuffer), 1e-4,
                                                 "\(name) buffer, \(count), step \(step)")
                    }
                }
            }
        }
    }

    func testAdamWMatchesPyTorchOverThreeSteps() throws {
        let adamW = try AdamWLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 42)
        for count in Self.counts {
            for (name, options) in Self.adamWConfigurations {
                let initial = random.floats(count)
                var expected = initial.map(Double.init)
                var m = [Double](repeating: 0, count: count), v = m
                let parameters = try device.makeBuffer(initial), gradients = try device.makeBuffer(byteCount: count * 4)
                let firstMoment = try device.makeBuffer([Float](repeating: 0, count: count))
                let secondMoment = try device.makeBuffer([Float](repeating: 0, count: count))
                for step in 1...3 {
                    // Gradients of varied scale, as training sees them.
                    let g = random.floats(count, in: -1...1).map { $0 * Float(step) * 0.5 }
                    try gradients.write(g)
                    try adamW.encodeStep(into: stream, parameters: parameters, gradients: gradients, firstMoment: firstMoment,
                                         secondMoment: secondMoment, count: count, step: step, options: options)
                    try stream.run()
                    OptimizerOracle.adamW(parameters: &expected, gradients: g.map(Double.init), m: &m, v: &v, step: step, options: options)
                    XCTAssertLessThanOrEqual(maxRelativeError(try parameters.read(Float.self), expected), 1e-4, "\(name), \(count), step \(step)")
                    XCTAssertLessThanOrEqual(maxRelativeError(try firstMoment.read(Float.self), m), 1e-4, "\(name) m, \(count), step \(step)")
                    XCTAssertLessThanOrEqual(maxRelativeError(try secondMoment.read(Float.self), v), 1e-4, "\(name) v, \(count), step \(step)")
                }
            }
        }
    }

    /// Many optimizer dispatches in one stream (one per parameter buffer, as a training step records them).
    func testOneStreamUpdatesManyParameterBuffers() throws {
        let adamW = try AdamWLauncher(device: device), sgd = try SGDLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 43)
        let sizes = [10, 7, 640, 33]
        let values = sizes.map { random.floats($0) }, grads = sizes.map { random.floats($0) }
        let adamParameters = try values.map { try device.makeBuffer($0) }, sgdParameters = try values.map { try device.makeBuffer($0) }
        let gradients = try grads.map { try device.makeBuffer($0) }
        let moments = try sizes.map { try (device.makeBuffer([Float](repeating: 0, count: $0)), device.makeBuffer([Float](repeating: 0, count: $0))) }
        let buffers = try sizes.map { try device.makeBuffer(byteCount: $0 * 4) }
        let adamOptions = AdamWLauncher.Options(learningRate: 0.01), sgdOptions = SGDLauncher.Options(learningRate: 0.1, momentum: 0.9)
        for index in sizes.indices {
            try adamW.encodeStep(into: stream, parameters: adamParameters[index], gradients: gradients[index], firstMoment: moments[index].0,
                                 secondMoment: moments[index].1, count: sizes[index], step: 1, options: adamOptions)
            try sgd.encodeStep(into: stream, parameters: sgdParameters[index], gradients: gradients[index], momentumBuffer: buffers[index],
                               count: sizes[index], options: sgdOptions, firstStep: true)
        }
        try stream.run()
        for index in sizes.indices {
            var adamExpected = values[index].map(Double.init), sgdExpected = adamExpected
            var m = [Double](repeating: 0, count: sizes[index]), v = m
            var buffer: [Double]? = nil
            OptimizerOracle.adamW(parameters: &adamExpected, gradients: grads[index].map(Double.init), m: &m, v: &v, step: 1,
                                  options: adamOptions)
            OptimizerOracle.sgd(parameters: &sgdExpected, gradients: grads[index].map(Double.init), buffer: &buffer, options: sgdOptions)
            XCTAssertLessThanOrEqual(maxRelativeError(try adamParameters[index].read(Float.self), adamExpected), 1e-4, "AdamW buffer \(index)")
            XCTAssertLessThanOrEqual(maxRelativeError(try sgdParameters[index].read(Float.self), sgdExpected), 1e-4, "SGD buffer \(index)")
        }
    }

    func testSameInputsGiveTheSameBits() throws {
        let adamW = try AdamWLauncher(device: device), sgd = try SGDLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 44)
        let count = 4099
        let initial = random.floats(count), g = try device.makeBuffer(random.floats(count))
        var results: [[UInt32]] = []
        for _ in 0..<2 {
            let p = try device.makeBuffer(initial), q = try device.makeBuffer(initial)
            let m = try device.makeBuffer([Float](repeating: 0, count: count)), v = try device.makeBuffer([Float](repeating: 0, count: count))
            let buffer = try device.makeBuffer(byteCount: count * 4)
            for step in 1...2 {
                try adamW.encodeStep(into: stream, parameters: p, gradients: g, firstMoment: m, secondMoment: v, count: count, step: step,
                                     options: .init())
                try sgd.encodeStep(into: stream, parameters: q, gradients: g, momentumBuffer: buffer, count: count,
                                   options: .init(learningRate: 0.1, momentum: 0.9, nesterov: true), firstStep: step == 1)
            }
            try stream.run()
            results.append(try p.read(UInt32.self) + q.read(UInt32.self))
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testBadArgumentsAreInvalidArguments() throws {
        let adamW = try AdamWLauncher(device: device), sgd = try SGDLauncher(device: device)
        let stream = try device.makeStream()
        let small = try device.makeBuffer(byteCount: 16)
        let a = try device.makeBuffer(byteCount: 400), b = try device.makeBuffer(byteCount: 400)
        let c = try device.makeBuffer(byteCount: 400), d = try device.makeBuffer(byteCount: 400)
        let plain = SGDLauncher.Options(learningRate: 0.1), momentum = SGDLauncher.Options(learningRate: 0.1, momentum: 0.9)
        assertInvalidArgument("SGD zero count") {
            try sgd.encodeStep(into: stream, parameters: a, gradients: b, momentumBuffer: nil, count: 0, options: plain, firstStep: true)
        }
        assertInvalidArgument("SGD small gradients") {
            try sgd.encodeStep(into: stream, parameters: a, gradients: small, momentumBuffer: nil, count: 100, options: plain, firstStep: true)
        }
        assertInvalidArgument("SGD missing buffer") {
            try sgd.encodeStep(into: stream, parameters: a, gradients: b, momentumBuffer: nil, count: 100, options: momentum, firstStep: true)
        }
        assertInvalidArgument("SGD small buffer") {
            try sgd.encodeStep(into: stream, parameters: a, gradients: b, momentumBuffer: small, count: 100, options: momentum, firstStep: false)
        }
        assertInvalidArgument("SGD aliasing") {
            try sgd.encodeStep(into: stream, parameters: a, gradients: b, momentumBuffer: a, count: 100, options: momentum, firstStep: false)
        }
        assertInvalidArgument("SGD nesterov with dampening") {
            try sgd.encodeStep(into: stream, parameters: a, gradients: b, momentumBuffer: c, count: 100,
                               options: .init(learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true), firstStep: true)
        }
        assertInvalidArgument("SGD negative rate") {
            try sgd.encodeStep(into: stream, parameters: a, gradients: b, momentumBuffer: nil, count: 100, options: .init(learningRate: -1),
                               firstStep: true)
        }
        assertInvalidArgument("AdamW step 0") {
            try adamW.encodeStep(into: stream, parameters: a, gradients: b, firstMoment: c, secondMoment: d, count: 100, step: 0, options: .init())
        }
        assertInvalidArgument("AdamW beta 1") {
            try adamW.encodeStep(into: stream, parameters: a, gradients: b, firstMoment: c, secondMoment: d, count: 100, step: 1,
                                 options: .init(beta2: 1))
        }
        assertInvalidArgument("AdamW small moment") {
            try adamW.encodeStep(into: stream, parameters: a, gradients: b, firstMoment: small, secondMoment: d, count: 100, step: 1,
                                 options: .init())
        }
        assertInvalidArgument("AdamW aliasing") {
            try adamW.encodeStep(into: stream, parameters: a, gradients: b, firstMoment: c, secondMoment: c, count: 100, step: 1, options: .init())
        }
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
