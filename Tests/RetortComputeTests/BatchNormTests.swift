import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

/// An `[N, C, H, W]` test shape.
private typealias NormShape = NCHWShape

private extension NCHWShape {
    /// Every combination of N ∈ {1, 3}, C ∈ {1, 5, 16}, H, W ∈ {1, 7, 8, 13}, plus larger planes
    /// that make every lane loop several times (odd and multiple-of-4 plane sizes).
    static let all: [NormShape] = {
        var shapes: [NormShape] = []
        for n in [1, 3] {
            for c in [1, 5, 16] {
                for h in [1, 7, 8, 13] {
                    for w in [1, 7, 8, 13] { shapes.append(NormShape(n: n, c: c, h: h, w: w)) }
                }
            }
        }
        return shapes + [NormShape(n: 2, c: 3, h: 33, w: 35), NormShape(n: 4, c: 2, h: 32, w: 32), NormShape(n: 7, c: 3, h: 2, w: 6)]
    }()
}

final class BatchNormTests: DeviceTestCase {
    /// Device buffers for one training forward.
    private struct Forward {
        let x, weight, bias, runningMean, runningVariance, y, savedMean, savedInvstd: Buffer

        init(_ device: Device, x: [Float], weight: [Float], bias: [Float], runningMean: [Float], runningVariance: [Float]) throws {
            self.x = try device.makeBuffer(x)
            self.weight = try device.makeBuffer(weight)
            self.bias = try device.makeBuffer(bias)
            self.runningMean = try device.makeBuffer(runningMean)
            self.runningVariance = try device.makeBuffer(runningVariance)
            y = try device.makeBuffer(byteCount: x.count * 4)
            savedMean = try device.makeBuffer(byteCount: weight.count * 4)
            savedInvstd = try device.makeBuffer(byteCount: weight.count * 4)
        }

        func encode(_ norm: BatchNormLauncher, _ stream: CommandStream, _ s: NormShape, momentum: Float = BatchNormLauncher.defaultMomentum,
                    relu: Bool = false, phase: BatchNormLauncher.Phase = .whole) throws {
            try norm.encodeTrainingForward(into: stream, input: x, weight: weight, bias: bias, runningMean: runningMean,
                                           runningVariance: runningVariance, output: y, savedMean: savedMean, savedInvstd: savedInvstd,
                                           batch: s.n, channels: s.c, height: s.h, width: s.w, momentum: momentum, relu: relu, phase: phase)
        }

        /// The backward of ``encode(_:_:_:momentum:relu:)`` into new gradient buffers (dx, dweight, dbias).
        func encodeBackward(_ norm: BatchNormLauncher, _ stream: CommandStream, _ s: NormShape, dy: [Float],
                            relu: Bool) throws -> (dx: Buffer, dWeight: Buffer, dBias: Buffer) {
            let device = stream.device
            let dx = try device.makeBuffer(byteCount: s.count * 4)
            let dWeight = try device.makeBuffer(byteCount: s.c * 4), dBias = try device.makeBuffer(byteCount: s.c * 4)
            try encodeBackward(norm, stream, s, dy: try device.makeBuffer(dy), relu: relu, into: (dx, dWeight, dBias))
            return (dx, dWeight, dBias)
        }

        /// The backward into the given gradient buffers, one `phase` of it.
        func encodeBackward(_ norm: BatchNormLauncher, _ stream: CommandStream, _ s: NormShape, dy: Buffer, relu: Bool,
                            into gradients: (dx: Buffer, dWeight: Buffer, dBias: Buffer), phase: BatchNormLauncher.Phase = .whole) throws {
            try norm.encodeBackward(into: stream, outputGradient: dy, input: x, reluOutput: relu ? y : nil,
                                    savedMean: savedMean, savedInvstd: savedInvstd, weight: weight, inputGradient: gradients.dx,
                                    weightGradient: gradients.dWeight, biasGradient: gradients.dBias,
                                    batch: s.n, channels: s.c, height: s.h, width: s.w, phase: phase)
        }
    }

    func testTrainingForwardMatchesTheCPU() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 21)
        for s in NormShape.all where s.n * s.plane > 1 {
            // An offset far from zero checks that the variance does not cancel.
            let offset: Float = s.c == 5 ? 50 : 0
            let x = random.floats(s.count, in: -2...2).map { $0 + offset }
            let weight = random.floats(s.c, in: 0.5...1.5), bias = random.floats(s.c)
            let forward = try Forward(device, x: x, weight: weight, bias: bias, runningMean: random.floats(s.c), runningVariance: random.floats(s.c, in: 0.5...2))
            try forward.encode(norm, stream, s)
            try stream.run()
            let (mean, variance) = BatchNormOracle.statistics(x, s)
            let expected = BatchNormOracle.normalize(x, s, mean: mean, variance: variance, weight: weight, bias: bias, eps: 1e-5)
            XCTAssertLessThanOrEqual(maxRelativeError(try forward.y.read(Float.self, count: s.count), expected), 1e-4, "y, x: \(s)")
            XCTAssertLessThanOrEqual(maxRelativeError(try forward.savedMean.read(Float.self, count: s.c), mean), 1e-5, "mean, x: \(s)")
            XCTAssertLessThanOrEqual(maxRelativeError(try forward.savedInvstd.read(Float.self, count: s.c), variance.map { 1 / ($0 + 1e-5).squareRoot() }),
                                     1e-4, "invstd, x: \(s)")
        }
    }

    /// Running statistics over two consecutive steps against PyTorch's update rule
    /// (`running = (1 − m) · running + m · stat`, unbiased variance).
    func testRunningStatisticsFollowPyTorchOverTwoSteps() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 22)
        for (s, momentum) in [(NormShape(n: 3, c: 5, h: 7, w: 13), Float(0.1)), (NormShape(n: 2, c: 16, h: 8, w: 8), 0.3), (NormShape(n: 1, c: 1, h: 1, w: 7), 0.1)] {
            let weight = random.floats(s.c, in: 0.5...1.5), bias = random.floats(s.c)
            var expectedMean = random.floats(s.c).map(Double.init), expectedVariance = random.floats(s.c, in: 0.5...2).map(Double.init)
            let forward = try Forward(device, x: [Float](repeating: 0, count: s.count), weight: weight, bias: bias,
                                      runningMean: expectedMean.map(Float.init), runningVariance: expectedVariance.map(Float.init))
            for step in 0..<2 {
                let x = random.floats(s.count, in: -3...3).map { $0 + Float(step) }
                try forward.x.write(x)
                try forward.encode(norm, stream, s, momentum: momentum)
                try stream.run()
                let (mean, variance) = BatchNormOracle.statistics(x, s)
                let count = Double(s.n * s.plane), m = Double(momentum)
                for c in 0..<s.c {
                    expectedMean[c] = (1 - m) * expectedMean[c] + m * mean[c]
                    expectedVariance[c] = (1 - m) * expectedVariance[c] + m * variance[c] * count / (count - 1)
                }
                XCTAssertLessThanOrEqual(maxRelativeError(try forward.runningMean.read(Float.self, count: s.c), expectedMean), 1e-5, "running mean, step \(step), x: \(s)")
                XCTAssertLessThanOrEqual(maxRelativeError(try forward.runningVariance.read(Float.self, count: s.c), expectedVariance), 1e-5, "running var, step \(step), x: \(s)")
            }
        }
    }

    func testInferenceForwardUsesTheRunningStatistics() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 23)
        for s in NormShape.all {
            let x = random.floats(s.count, in: -2...2)
            let weight = random.floats(s.c, in: 0.5...1.5), bias = random.floats(s.c)
            let runningMean = random.floats(s.c), runningVariance = random.floats(s.c, in: 0.1...2)
            let y = try device.makeBuffer(byteCount: s.count * 4)
            try norm.encodeInferenceForward(into: stream, input: try device.makeBuffer(x), weight: try device.makeBuffer(weight),
                                            bias: try device.makeBuffer(bias), runningMean: try device.makeBuffer(runningMean),
                                            runningVariance: try device.makeBuffer(runningVariance), output: y,
                                            batch: s.n, channels: s.c, height: s.h, width: s.w, epsilon: 1e-3)
            try stream.run()
            let expected = BatchNormOracle.normalize(x, s, mean: runningMean.map(Double.init), variance: runningVariance.map(Double.init),
                                               weight: weight, bias: bias, eps: 1e-3)
            XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self, count: s.count), expected), 1e-4, "x: \(s)")
        }
    }

    /// The backward against the CPU, plain and with the fused ReLU: that forward stores max(BN(x), 0),
    /// and its backward equals the plain backward of the gradient masked by that output (0 where y ≤ 0).
    func testBackwardMatchesTheCPU() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 24)
        for s in NormShape.all where s.n * s.plane > 1 {
            for relu in [false, true] {
                let x = random.floats(s.count, in: -2...2), dy = random.floats(s.count)
                let weight = random.floats(s.c, in: 0.5...1.5), bias = random.floats(s.c, in: -0.5...0.5)
                let zeros = [Float](repeating: 0, count: s.c), ones = [Float](repeating: 1, count: s.c)
                let forward = try Forward(device, x: x, weight: weight, bias: bias, runningMean: zeros, runningVariance: ones)
                try forward.encode(norm, stream, s, relu: relu)
                let gradients = try forward.encodeBackward(norm, stream, s, dy: dy, relu: relu)
                try stream.run()
                let y = try forward.y.read(Float.self, count: s.count)
                if relu {
                    let (mean, variance) = BatchNormOracle.statistics(x, s)
                    let normalized = BatchNormOracle.normalize(x, s, mean: mean, variance: variance, weight: weight, bias: bias,
                                                                  eps: 1e-5)
                    XCTAssertLessThanOrEqual(maxRelativeError(y, normalized.map { max($0, 0) }), 1e-4, "relu y, x: \(s)")
                    XCTAssert(y.allSatisfy { $0 >= 0 }, "relu y, x: \(s)")
                }
                let masked = relu ? zip(y, dy).map { $0 > 0 ? $1 : 0 } : dy
                let expected = BatchNormOracle.backward(dy: masked, x: x, s, weight: weight, eps: 1e-5)
                for (name, buffer, values) in [("dx", gradients.dx, expected.dx), ("dweight", gradients.dWeight, expected.dWeight),
                                               ("dbias", gradients.dBias, expected.dBias)] {
                    let actual = try buffer.read(Float.self, count: values.count)
                    XCTAssertLessThanOrEqual(maxRelativeError(actual, values), 1e-4, "\(name), relu: \(relu), x: \(s)")
                }
            }
        }
    }

    /// The backward pass against central differences of the device's training forward:
    /// L = Σ w ⊙ y(x, weight, bias), dy = w.
    func testBackwardMatchesFiniteDifferencesOfTheForward() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 25)
        for s in [NormShape(n: 3, c: 5, h: 7, w: 7), NormShape(n: 2, c: 3, h: 8, w: 8), NormShape(n: 1, c: 2, h: 1, w: 13)] {
            let x = random.floats(s.count, in: -2...2), w = random.floats(s.count)
            let weight = random.floats(s.c, in: 0.5...1.5), bias = random.floats(s.c)
            let forward = try Forward(device, x: x, weight: weight, bias: bias,
                                      runningMean: [Float](repeating: 0, count: s.c), runningVariance: [Float](repeating: 1, count: s.c))
            func loss() throws -> Double {
                try forward.encode(norm, stream, s)
                try stream.run()
                return zip(try forward.y.read(Float.self, count: s.count), w).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            }
            // Analytic gradients at the unperturbed point.
            let dx = try device.makeBuffer(byteCount: s.count * 4)
            let dWeight = try device.makeBuffer(byteCount: s.c * 4), dBias = try device.makeBuffer(byteCount: s.c * 4)
            try forward.encode(norm, stream, s)
            try norm.encodeBackward(into: stream, outputGradient: try device.makeBuffer(w), input: forward.x, savedMean: forward.savedMean,
                                    savedInvstd: forward.savedInvstd, weight: forward.weight, inputGradient: dx, weightGradient: dWeight,
                                    biasGradient: dBias, batch: s.n, channels: s.c, height: s.h, width: s.w)
            try stream.run()
            let analytic = (x: try dx.read(Float.self, count: s.count), weight: try dWeight.read(Float.self, count: s.c),
                            bias: try dBias.read(Float.self, count: s.c))

            let h: Float = 1e-2
            func check(_ name: String, _ values: [Float], _ buffer: Buffer, _ index: Int, _ gradient: Float) throws {
                var plus = values, minus = values
                plus[index] += h
                minus[index] -= h
                try buffer.write(plus)
                let lossPlus = try loss()
                try buffer.write(minus)
                let lossMinus = try loss()
                try buffer.write(values)
                let numeric = (lossPlus - lossMinus) / Double(plus[index] - minus[index])
                XCTAssertLessThanOrEqual(abs(numeric - Double(gradient)), 1e-2 * max(1, abs(numeric)),
                                         "d\(name)[\(index)], x: \(s): finite difference \(numeric), backward \(gradient)")
            }
            for _ in 0..<8 {
                let index = Int.random(in: 0..<s.count, using: &random)
                try check("x", x, forward.x, index, analytic.x[index])
            }
            for c in 0..<min(s.c, 2) {
                try check("weight", weight, forward.weight, c, analytic.weight[c])
                try check("bias", bias, forward.bias, c, analytic.bias[c])
            }
        }
    }

    /// A constant channel with zero bias normalizes to exactly 0: the fused ReLU passes no gradient
    /// there (PyTorch's ReLU backward at 0), so that channel's dx, dweight and dbias are 0, while
    /// the unfused backward of the same dy gives a nonzero dbias.
    func testFusedReLUPassesNoGradientWhereTheOutputIsZero() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 28)
        for s in [NormShape(n: 2, c: 3, h: 4, w: 5), NormShape(n: 3, c: 3, h: 3, w: 3)] {
            var x = random.floats(s.count)
            for n in 0..<s.n { for i in 0..<s.plane { x[(n * s.c + 1) * s.plane + i] = 0.7 } }
            let dy = random.floats(s.count, in: 0.5...1)
            let forward = try Forward(device, x: x, weight: [1, 1.5, 1], bias: [0.1, 0, -0.1],
                                      runningMean: [0, 0, 0], runningVariance: [1, 1, 1])
            try forward.encode(norm, stream, s, relu: true)
            let fused = try forward.encodeBackward(norm, stream, s, dy: dy, relu: true)
            let plain = try forward.encodeBackward(norm, stream, s, dy: dy, relu: false)
            try stream.run()
            let y = try forward.y.read(Float.self, count: s.count), dx = try fused.dx.read(Float.self, count: s.count)
            let constant = (0..<s.n).flatMap { n in (0..<s.plane).map { (n * s.c + 1) * s.plane + $0 } }
            XCTAssert(constant.allSatisfy { y[$0] == 0 && dx[$0] == 0 }, "y, dx, x: \(s)")
            let parameters = [try fused.dBias.read(Float.self, count: s.c)[1], try fused.dWeight.read(Float.self, count: s.c)[1]]
            XCTAssertEqual(parameters, [0, 0], "dbias, dweight, x: \(s)")
            XCTAssertGreaterThan(try plain.dBias.read(Float.self, count: s.c)[1], 0, "unfused dbias, x: \(s)")
        }
    }

    func testFusedReLUInferenceForwardMatchesTheCPU() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 29)
        for s in NormShape.all {
            // The first value normalizes to exactly 0 (x = mean, bias 0); a NaN stays NaN.
            let x = [0.25] + random.floats(s.count - 1, in: -2...2).enumerated().map { $0.offset == 0 ? .nan : $0.element }
            let weight = random.floats(s.c, in: 0.5...1.5), bias = [0] + random.floats(s.c - 1)
            let runningMean = [0.25] + random.floats(s.c - 1), runningVariance = random.floats(s.c, in: 0.1...2)
            let y = try device.makeBuffer(byteCount: s.count * 4)
            try norm.encodeInferenceForward(into: stream, input: try device.makeBuffer(x), weight: try device.makeBuffer(weight),
                                            bias: try device.makeBuffer(bias), runningMean: try device.makeBuffer(runningMean),
                                            runningVariance: try device.makeBuffer(runningVariance), output: y,
                                            batch: s.n, channels: s.c, height: s.h, width: s.w, epsilon: 1e-3, relu: true)
            try stream.run()
            let expected = BatchNormOracle.normalize(x, s, mean: runningMean.map(Double.init),
                                                        variance: runningVariance.map(Double.init), weight: weight, bias: bias, eps: 1e-3)
            let values = try y.read(Float.self, count: s.count)
            XCTAssertLessThanOrEqual(maxRelativeError(values, expected.map { $0.isNaN ? $0 : max($0, 0) }), 1e-4, "x: \(s)")
            XCTAssertEqual(values[0], 0, "x: \(s)")
        }
    }

    /// The fused ReLU keeps NaN (PyTorch's ReLU) in the training forward (the inference test has one too).
    func testFusedReLUKeepsNaN() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        let s = NormShape(n: 1, c: 1, h: 1, w: 5)
        let forward = try Forward(device, x: [0, .nan, 2, 3, 4], weight: [1], bias: [0], runningMean: [0], runningVariance: [1])
        try forward.encode(norm, stream, s, relu: true)
        try stream.run()
        XCTAssert(try forward.y.read(Float.self, count: s.count).allSatisfy(\.isNaN))
    }

    func testSameInputsGiveTheSameBits() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 26)
        let s = NormShape(n: 3, c: 4, h: 13, w: 16)
        let x = random.floats(s.count)
        var results: [[UInt32]] = []
        for _ in 0..<3 {
            let forward = try Forward(device, x: x, weight: [Float](repeating: 1, count: s.c), bias: [Float](repeating: 0, count: s.c),
                                      runningMean: [Float](repeating: 0, count: s.c), runningVariance: [Float](repeating: 1, count: s.c))
            try forward.encode(norm, stream, s)
            try stream.run()
            results.append(try forward.y.read(UInt32.self, count: s.count) + forward.savedInvstd.read(UInt32.self, count: s.c))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }

    /// The two phases of a synchronized batch norm, on a batch that is the whole global batch: the
    /// local phase gives the batch's mean and variance (CPU) and its parameter gradients; the combined
    /// phase, given them back, gives the whole op's output, statistics and running statistics bit for
    /// bit, and its input gradient (CPU). A larger count over all ranks enters the running variance.
    func testSynchronizedPhasesOnTheWholeBatchEqualTheWholeOp() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 27)
        for s in [NormShape(n: 3, c: 5, h: 7, w: 13), NormShape(n: 2, c: 3, h: 8, w: 8), NormShape(n: 1, c: 16, h: 1, w: 1)] {
            for relu in [false, true] {
                let x = random.floats(s.count, in: -2...2).map { $0 + 3 }, dy = random.floats(s.count)
                let weight = random.floats(s.c, in: 0.5...1.5), bias = random.floats(s.c, in: -0.5...0.5)
                let running = (random.floats(s.c), random.floats(s.c, in: 0.5...2))
                let count = s.n * s.plane
                func forward() throws -> Forward {
                    try Forward(device, x: x, weight: weight, bias: bias, runningMean: running.0, runningVariance: running.1)
                }
                let split = try forward(), statistics = try device.makeBuffer(byteCount: 2 * s.c * 4)
                try split.encode(norm, stream, s, relu: relu, phase: .local(statistics))
                try stream.run()
                let (mean, variance) = BatchNormOracle.statistics(x, s)
                let local = try statistics.read(Float.self, count: 2 * s.c)
                XCTAssertLessThanOrEqual(maxRelativeError(Array(local[..<s.c]), mean), 1e-5, "local mean, x: \(s)")
                XCTAssertLessThanOrEqual(maxRelativeError(Array(local[s.c...]), variance), 1e-4, "local variance, x: \(s)")
                guard count > 1 else { continue }   // one value per channel: only a global batch of several ranks normalizes
                try split.encode(norm, stream, s, relu: relu, phase: .combined(statistics, count: count))
                let whole = try forward()
                try whole.encode(norm, stream, s, relu: relu)
                let dyBuffer = try device.makeBuffer(dy)
                func gradients() throws -> (dx: Buffer, dWeight: Buffer, dBias: Buffer) {
                    (try device.makeBuffer(byteCount: s.count * 4), try device.makeBuffer(byteCount: s.c * 4),
                     try device.makeBuffer(byteCount: s.c * 4))
                }
                let wholeGradients = try gradients(), splitGradients = try gradients(), sums = try device.makeBuffer(byteCount: 2 * s.c * 4)
                try whole.encodeBackward(norm, stream, s, dy: dyBuffer, relu: relu, into: wholeGradients)
                try split.encodeBackward(norm, stream, s, dy: dyBuffer, relu: relu, into: splitGradients, phase: .local(sums))
                try stream.run()
                for (name, a, b, n) in [("y", split.y, whole.y, s.count), ("mean", split.savedMean, whole.savedMean, s.c),
                                        ("invstd", split.savedInvstd, whole.savedInvstd, s.c),
                                        ("running mean", split.runningMean, whole.runningMean, s.c),
                                        ("running variance", split.runningVariance, whole.runningVariance, s.c),
                                        ("dweight", splitGradients.dWeight, wholeGradients.dWeight, s.c),
                                        ("dbias", splitGradients.dBias, wholeGradients.dBias, s.c)] {
                    XCTAssertEqual(try a.read(UInt32.self, count: n), try b.read(UInt32.self, count: n), "\(name), relu: \(relu), x: \(s)")
                }
                try sums.write(try splitGradients.dBias.read(Float.self, count: s.c) + splitGradients.dWeight.read(Float.self, count: s.c))
                try split.encodeBackward(norm, stream, s, dy: dyBuffer, relu: relu, into: splitGradients,
                                         phase: .combined(sums, count: count))
                // Two ranks holding this same batch: the same statistics over twice the values.
                let twice = try forward()
                try twice.encode(norm, stream, s, relu: relu, phase: .combined(statistics, count: 2 * count))
                try stream.run()
                let masked = relu ? zip(try whole.y.read(Float.self, count: s.count), dy).map { $0 > 0 ? $1 : 0 } : dy
                let expected = BatchNormOracle.backward(dy: masked, x: x, s, weight: weight, eps: 1e-5)
                XCTAssertLessThanOrEqual(maxRelativeError(try splitGradients.dx.read(Float.self, count: s.count), expected.dx), 1e-4,
                                         "dx, relu: \(relu), x: \(s)")
                let unbiased = variance.map { $0 * Double(2 * count) / Double(2 * count - 1) }
                let expectedRunning = zip(running.1, unbiased).map { 0.9 * Double($0) + 0.1 * $1 }
                XCTAssertLessThanOrEqual(maxRelativeError(try twice.runningVariance.read(Float.self, count: s.c), expectedRunning), 1e-5,
                                         "running variance over twice the values, x: \(s)")
            }
        }
    }

    func testBadShapesAreInvalidArguments() throws {
        let norm = try BatchNormLauncher(device: device)
        let stream = try device.makeStream()
        let big = try device.makeBuffer(byteCount: 4096), small = try device.makeBuffer(byteCount: 8)
        func assertInvalid(_ what: String, _ body: () throws -> Void) { assertInvalidArgument(what, containing: "[", body) }
        func training(_ n: Int, _ c: Int, _ h: Int, _ w: Int, x: Buffer? = nil, vector: Buffer? = nil) throws {
            try norm.encodeTrainingForward(into: stream, input: x ?? big, weight: vector ?? big, bias: big, runningMean: big, runningVariance: big,
                                           output: big, savedMean: big, savedInvstd: big, batch: n, channels: c, height: h, width: w)
        }
        assertInvalid("zero batch") { try training(0, 1, 2, 2) }
        assertInvalid("negative width") { try training(1, 1, 2, -2) }
        assertInvalid("one value per channel") { try training(1, 4, 1, 1) }
        assertInvalid("huge dimensions") { try training(1 << 40, 1 << 40, 1 << 40, 2) }
        assertInvalid("input too small") { try training(2, 3, 4, 4, x: small) }
        assertInvalid("weight too small") { try training(2, 3, 4, 4, vector: small) }
        assertInvalid("inference input too small") {
            try norm.encodeInferenceForward(into: stream, input: small, weight: big, bias: big, runningMean: big, runningVariance: big,
                                            output: big, batch: 1, channels: 3, height: 2, width: 2)
        }
        assertInvalid("negative epsilon") {
            try norm.encodeInferenceForward(into: stream, input: big, weight: big, bias: big, runningMean: big, runningVariance: big,
                                            output: big, batch: 1, channels: 3, height: 2, width: 2, epsilon: -1)
        }
        assertInvalid("backward gradient too small") {
            try norm.encodeBackward(into: stream, outputGradient: big, input: big, savedMean: big, savedInvstd: big, weight: big,
                                    inputGradient: small, weightGradient: big, biasGradient: big, batch: 2, channels: 2, height: 3, width: 3)
        }
        assertInvalid("backward ReLU output too small") {
            try norm.encodeBackward(into: stream, outputGradient: big, input: big, reluOutput: small, savedMean: big, savedInvstd: big,
                                    weight: big, inputGradient: big, weightGradient: big, biasGradient: big,
                                    batch: 2, channels: 2, height: 3, width: 3)
        }
        assertInvalid("synchronized statistics too small") {
            try norm.encodeTrainingForward(into: stream, input: big, weight: big, bias: big, runningMean: big, runningVariance: big,
                                           output: big, savedMean: big, savedInvstd: big, batch: 2, channels: 3, height: 2, width: 2,
                                           phase: .local(small))
        }
        assertInvalid("a count over all ranks below this batch's") {
            try norm.encodeTrainingForward(into: stream, input: big, weight: big, bias: big, runningMean: big, runningVariance: big,
                                           output: big, savedMean: big, savedInvstd: big, batch: 2, channels: 3, height: 2, width: 2,
                                           phase: .combined(big, count: 7))
        }
        assertInvalid("synchronized gradient sums too small") {
            try norm.encodeBackward(into: stream, outputGradient: big, input: big, savedMean: big, savedInvstd: big, weight: big,
                                    inputGradient: big, weightGradient: big, biasGradient: big, batch: 2, channels: 3, height: 3, width: 3,
                                    phase: .combined(small, count: 18))
        }
        assertInvalid("backward dbias too small") {
            try norm.encodeBackward(into: stream, outputGradient: big, input: big, savedMean: big, savedInvstd: big, weight: big,
                                    inputGradient: big, weightGradient: big, biasGradient: small, batch: 2, channels: 3, height: 3, width: 3)
        }
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
