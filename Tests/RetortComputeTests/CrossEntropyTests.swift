import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class CrossEntropyTests: DeviceTestCase {
    private struct Outputs {
        let gradient: Buffer, loss: Buffer
    }

    private func encode(_ op: CrossEntropyLauncher, _ stream: CommandStream, logits: Buffer, labels: Buffer, rows: Int, classes: Int,
                        smoothing: Float, scale: Float) throws -> Outputs {
        let outputs = Outputs(gradient: try device.makeBuffer(byteCount: rows * classes * 4), loss: try device.makeBuffer(byteCount: rows * 4))
        try op.encode(into: stream, logits: logits, labels: labels, gradient: outputs.gradient, loss: outputs.loss, rows: rows, classes: classes,
                      labelSmoothing: smoothing, scale: scale)
        return outputs
    }

    private func randomLabels(_ rows: Int, classes: Int, _ random: inout TestRandom) -> [Int32] {
        (0..<rows).map { _ in Int32.random(in: 0..<Int32(classes), using: &random) }
    }

    func testLossAndGradientMatchTheCPU() throws {
        var random = TestRandom(seed: 41)
        let stream = try device.makeStream()
        let ops = try SoftmaxReference.mappings.map { try CrossEntropyLauncher(device: device, mapping: $0) }
        for (rows, classes) in SoftmaxReference.shapes {
            let z = random.floats(rows * classes, in: -6...6), y = randomLabels(rows, classes: classes, &random)
            let logits = try device.makeBuffer(z), labels = try device.makeBuffer(y)
            var checks: [(Outputs, (loss: [Double], gradient: [Double]), String)] = []
            for smoothing in [Float(0), 0.1] {
                let scale = 1 / Float(rows)
                let expected = CrossEntropyOracle.lossAndGradient(logits: z, labels: y, rows: rows, classes: classes,
                                                                  smoothing: Double(smoothing), scale: Double(scale))
                for op in ops {
                    checks.append((try encode(op, stream, logits: logits, labels: labels, rows: rows, classes: classes, smoothing: smoothing, scale: scale),
                                   expected, "[\(rows), \(classes)] eps=\(smoothing) \(op.mapping)"))
                }
            }
            try stream.run()
            for (outputs, expected, message) in checks {
                XCTAssertLessThanOrEqual(maxRelativeError(try outputs.loss.read(Float.self), expected.loss), 1e-4, "loss " + message)
                XCTAssertLessThanOrEqual(maxRelativeError(try outputs.gradient.read(Float.self), expected.gradient), 1e-4, "gradient " + message)
            }
        }
    }

    func testGradientMatchesFiniteDifferencesOfTheDeviceLoss() throws {
        let (rows, classes) = (4, 9)
        var random = TestRandom(seed: 42)
        let stream = try device.makeStream()
        let z = random.floats(rows * classes, in: -3...3)
        let labels = try device.makeBuffer(randomLabels(rows, classes: classes, &random))
        let step: Float = 1e-2
        let samples = (0..<8).map { _ in Int.random(in: 0..<(rows * classes), using: &random) }
        for op in try SoftmaxReference.mappings.map({ try CrossEntropyLauncher(device: device, mapping: $0) }) {
            for smoothing in [Float(0), 0.1] {
                func run(_ logits: [Float]) throws -> Outputs {
                    try encode(op, stream, logits: try device.makeBuffer(logits), labels: labels, rows: rows, classes: classes,
                               smoothing: smoothing, scale: 0.3)
                }
                let base = try run(z)
                let perturbed = try samples.map { i -> (Outputs, Outputs) in
                    var plus = z, minus = z
                    plus[i] += step
                    minus[i] -= step
                    return (try run(plus), try run(minus))
                }
                try stream.run()
                func loss(_ outputs: Outputs) throws -> Double { try outputs.loss.read(Float.self).reduce(0) { $0 + Double($1) } }
                let analytic = try base.gradient.read(Float.self)
                for (i, (plus, minus)) in zip(samples, perturbed) {
                    SoftmaxReference.assertClose(analytic: analytic[i], plus: try loss(plus), minus: try loss(minus), step: step,
                                                 "eps=\(smoothing) \(op.mapping) z[\(i)]")
                }
            }
        }
    }

    func testLogitsOfMagnitude1e4GiveFiniteResultsEqualToTheCPU() throws {
        var random = TestRandom(seed: 43)
        let stream = try device.makeStream()
        let (rows, classes) = (9, 100)
        let y = randomLabels(rows, classes: classes, &random)
        let labels = try device.makeBuffer(y)
        for range: ClosedRange<Float> in [-1e4...1e4, 9_990...10_010, -10_010 ... -9_990] {
            let z = random.floats(rows * classes, in: range)
            let logits = try device.makeBuffer(z)
            for op in try SoftmaxReference.mappings.map({ try CrossEntropyLauncher(device: device, mapping: $0) }) {
                for smoothing in [Float(0), 0.1] {
                    let outputs = try encode(op, stream, logits: logits, labels: labels, rows: rows, classes: classes, smoothing: smoothing, scale: 1)
                    try stream.run()
                    let expected = CrossEntropyOracle.lossAndGradient(logits: z, labels: y, rows: rows, classes: classes,
                                                                      smoothing: Double(smoothing), scale: 1)
                    let loss = try outputs.loss.read(Float.self), gradient = try outputs.gradient.read(Float.self)
                    let message = "\(range) eps=\(smoothing) \(op.mapping)"
                    XCTAssert(loss.allSatisfy(\.isFinite) && gradient.allSatisfy(\.isFinite), message)
                    XCTAssertLessThanOrEqual(maxRelativeError(loss, expected.loss), 1e-4, "loss " + message)
                    XCTAssertLessThanOrEqual(maxRelativeError(gradient, expected.gradient), 1e-4, "gradient " + message)
                }
            }
        }
    }

    /// Labels outside [0, C) poison only their own rows, with NaN, and read nothing out of bounds.
    func testOutOfRangeLabelsGiveNaNRows() throws {
        var random = TestRandom(seed: 44)
        let classes = 10
        let y: [Int32] = [3, -1, Int32(classes), 0, Int32.max, Int32.min, 9]
        let rows = y.count
        let z = random.floats(rows * classes, in: -3...3)
        let logits = try device.makeBuffer(z), labels = try device.makeBuffer(y)
        let stream = try device.makeStream()
        for op in try SoftmaxReference.mappings.map({ try CrossEntropyLauncher(device: device, mapping: $0) }) {
            let outputs = try encode(op, stream, logits: logits, labels: labels, rows: rows, classes: classes, smoothing: 0.1, scale: 1)
            try stream.run()
            let loss = try outputs.loss.read(Float.self), gradient = try outputs.gradient.read(Float.self)
            let expected = CrossEntropyOracle.lossAndGradient(logits: z, labels: y, rows: rows, classes: classes, smoothing: 0.1, scale: 1)
            for r in 0..<rows {
                let rowGradient = Array(gradient[r * classes ..< (r + 1) * classes])
                if (0..<Int32(classes)).contains(y[r]) {
                    XCTAssertEqual(Double(loss[r]), expected.loss[r], accuracy: 1e-4 * max(1, abs(expected.loss[r])), "row \(r) \(op.mapping)")
                    XCTAssertLessThanOrEqual(maxRelativeError(rowGradient, Array(expected.gradient[r * classes ..< (r + 1) * classes])), 1e-4)
                } else {
                    XCTAssert(loss[r].isNaN, "row \(r) with label \(y[r]): loss \(loss[r]) \(op.mapping)")
                    XCTAssert(rowGradient.allSatisfy(\.isNaN), "row \(r) with label \(y[r]) \(op.mapping)")
                }
            }
        }
    }

    /// The usual KD objective: α·CE + (1 − α)·T²·KL summed into one gradient buffer and one loss buffer.
    func testCrossEntropyAndKLAccumulateIntoOneGradient() throws {
        var random = TestRandom(seed: 45)
        let (rows, classes) = (8, 10)
        let zs = random.floats(rows * classes, in: -4...4), zt = random.floats(rows * classes, in: -4...4)
        let y = randomLabels(rows, classes: classes, &random)
        let student = try device.makeBuffer(zs)
        let gradient = try device.makeBuffer(byteCount: rows * classes * 4), loss = try device.makeBuffer(byteCount: rows * 4)
        let stream = try device.makeStream()
        try CrossEntropyLauncher(device: device).encode(into: stream, logits: student, labels: try device.makeBuffer(y), gradient: gradient, loss: loss,
                                                rows: rows, classes: classes, scale: 0.1 / Float(rows))
        try SoftmaxKLLauncher(device: device).encode(into: stream, student: student, teacher: try device.makeBuffer(zt), studentGradient: gradient,
                                             loss: loss, rows: rows, classes: classes, temperature: 4, scale: 0.9 * 16 / Float(rows),
                                             accumulateGradient: true, accumulateLoss: true)
        try stream.run()
        let ce = CrossEntropyOracle.lossAndGradient(logits: zs, labels: y, rows: rows, classes: classes, smoothing: 0,
                                                    scale: 0.1 / Double(rows))
        var expectedGradient = ce.gradient, expectedLoss = ce.loss
        for r in 0..<rows {
            let logS = SoftmaxOracle.logSoftmax(SoftmaxOracle.row(zs, r, classes), temperature: 4)
            let logT = SoftmaxOracle.logSoftmax(SoftmaxOracle.row(zt, r, classes), temperature: 4)
            let scale = 0.9 * 16 / Double(rows)
            expectedLoss[r] += scale * zip(logT, logS).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
            for c in 0..<classes { expectedGradient[r * classes + c] += scale * (exp(logS[c]) - exp(logT[c])) / 4 }
        }
        XCTAssertLessThanOrEqual(maxRelativeError(try gradient.read(Float.self), expectedGradient), 1e-5)
        XCTAssertLessThanOrEqual(maxRelativeError(try loss.read(Float.self), expectedLoss), 1e-5)
    }

    func testSameInputsGiveTheSameBits() throws {
        var random = TestRandom(seed: 46)
        let (rows, classes) = (130, 1000)
        let logits = try device.makeBuffer(random.floats(rows * classes, in: -10...10))
        let labels = try device.makeBuffer(randomLabels(rows, classes: classes, &random))
        let stream = try device.makeStream()
        for op in try SoftmaxReference.mappings.map({ try CrossEntropyLauncher(device: device, mapping: $0) }) {
            let runs = try (0..<2).map { _ in
                try encode(op, stream, logits: logits, labels: labels, rows: rows, classes: classes, smoothing: 0.1, scale: 0.01)
            }
            try stream.run()
            XCTAssertEqual(try runs[0].loss.read(UInt32.self), try runs[1].loss.read(UInt32.self), "\(op.mapping)")
            XCTAssertEqual(try runs[0].gradient.read(UInt32.self), try runs[1].gradient.read(UInt32.self), "\(op.mapping)")
        }
    }

    func testBadShapesAndArgumentsThrow() throws {
        let op = try CrossEntropyLauncher(device: device)
        let stream = try device.makeStream()
        let logits = try device.makeBuffer(byteCount: 4 * 40), labels = try device.makeBuffer([Int32](repeating: 0, count: 4))
        let loss = try device.makeBuffer(byteCount: 16)
        func encode(labels labelBuffer: Buffer? = nil, rows: Int = 4, classes: Int = 10, smoothing: Float = 0, scale: Float = 1) throws {
            try op.encode(into: stream, logits: logits, labels: labelBuffer ?? labels, gradient: logits, loss: loss, rows: rows,
                          classes: classes, labelSmoothing: smoothing, scale: scale)
        }
        XCTAssertThrowsError(try encode(labels: try device.makeBuffer(byteCount: 12))) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssert(message.contains("[4, 10]") && message.contains("labels"), message)
        }
        XCTAssertThrowsError(try encode(rows: 5))
        XCTAssertThrowsError(try encode(classes: 0))
        XCTAssertThrowsError(try encode(smoothing: -0.1))
        XCTAssertThrowsError(try encode(smoothing: 1.5))
        XCTAssertThrowsError(try encode(smoothing: .nan))
        XCTAssertThrowsError(try encode(scale: .infinity))
        XCTAssertEqual(stream.dispatchCount, 0)
        XCTAssertNoThrow(try encode(smoothing: 1))
        try stream.run()
    }
}
