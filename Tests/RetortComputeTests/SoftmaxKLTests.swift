import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class SoftmaxKLTests: DeviceTestCase {
    private struct Outputs {
        let gradient: Buffer, loss: Buffer
    }

    private func encode(_ op: SoftmaxKLLauncher, _ stream: CommandStream, student: Buffer, teacher: Buffer, rows: Int, classes: Int,
                        temperature: Float, scale: Float, direction: SoftmaxKLLauncher.Direction) throws -> Outputs {
        let outputs = Outputs(gradient: try device.makeBuffer(byteCount: rows * classes * 4), loss: try device.makeBuffer(byteCount: rows * 4))
        try op.encode(into: stream, student: student, teacher: teacher, studentGradient: outputs.gradient, loss: outputs.loss,
                      rows: rows, classes: classes, temperature: temperature, scale: scale, direction: direction)
        return outputs
    }

    private static let directions: [SoftmaxKLLauncher.Direction] = [.forward, .reverse]

    func testForwardAndReverseKLMatchTheCPU() throws {
        var random = TestRandom(seed: 31)
        let stream = try device.makeStream()
        let ops = try SoftmaxReference.mappings.map { try SoftmaxKLLauncher(device: device, mapping: $0) }
        for (rows, classes) in SoftmaxReference.shapes {
            let zs = random.floats(rows * classes, in: -6...6), zt = random.floats(rows * classes, in: -6...6)
            let student = try device.makeBuffer(zs), teacher = try device.makeBuffer(zt)
            var checks: [(Outputs, (loss: [Double], gradient: [Double]), String)] = []
            for temperature in [Float(1), 4] {
                for direction in Self.directions {
                    let scale = temperature * temperature / Float(rows)  // batchmean × T²
                    let expected = SoftmaxKLOracle.lossAndGradient(student: zs, teacher: zt, rows: rows, classes: classes,
                                                                   temperature: Double(temperature),
                                             scale: Double(scale), direction: direction)
                    for op in ops {
                        let outputs = try encode(op, stream, student: student, teacher: teacher, rows: rows, classes: classes,
                                                 temperature: temperature, scale: scale, direction: direction)
                        checks.append((outputs, expected, "[\(rows), \(classes)] T=\(temperature) \(direction) \(op.mapping)"))
                    }
                }
            }
            try stream.run()
            for (outputs, expected, message) in checks {
                XCTAssertLessThanOrEqual(maxRelativeError(try outputs.loss.read(Float.self), expected.loss), 1e-4, "loss " + message)
                XCTAssertLessThanOrEqual(maxRelativeError(try outputs.gradient.read(Float.self), expected.gradient), 1e-4, "gradient " + message)
            }
        }
    }

    /// The gradient against central differences of Σ_rows loss, the loss computed on the device.
    func testGradientMatchesFiniteDifferencesOfTheDeviceLoss() throws {
        let (rows, classes) = (3, 10)
        var random = TestRandom(seed: 32)
        let stream = try device.makeStream()
        let zs = random.floats(rows * classes, in: -3...3), zt = random.floats(rows * classes, in: -3...3)
        let teacher = try device.makeBuffer(zt)
        let step: Float = 1e-2
        let samples = (0..<8).map { _ in Int.random(in: 0..<(rows * classes), using: &random) }
        for op in try SoftmaxReference.mappings.map({ try SoftmaxKLLauncher(device: device, mapping: $0) }) {
            for temperature in [Float(1), 4] {
                for direction in Self.directions {
                    func run(_ logits: [Float]) throws -> Outputs {
                        try encode(op, stream, student: try device.makeBuffer(logits), teacher: teacher, rows: rows, classes: classes,
                                   temperature: temperature, scale: 0.7, direction: direction)
                    }
                    let base = try run(zs)
                    let perturbed = try samples.map { i -> (Outputs, Outputs) in
                        var plus = zs, minus = zs
                        plus[i] += step
                        minus[i] -= step
                        return (try run(plus), try run(minus))
                    }
                    try stream.run()
                    func loss(_ outputs: Outputs) throws -> Double { try outputs.loss.read(Float.self).reduce(0) { $0 + Double($1) } }
                    let analytic = try base.gradient.read(Float.self)
                    for (i, (plus, minus)) in zip(samples, perturbed) {
                        SoftmaxReference.assertClose(analytic: analytic[i], plus: try loss(plus), minus: try loss(minus), step: step,
                                                     "\(direction) T=\(temperature) \(op.mapping) z_s[\(i)]")
                    }
                }
            }
        }
    }

    func testLogitsOfMagnitude1e4GiveFiniteResultsEqualToTheCPU() throws {
        var random = TestRandom(seed: 33)
        let stream = try device.makeStream()
        let (rows, classes) = (9, 100)
        for range: ClosedRange<Float> in [-1e4...1e4, 9_990...10_010, -10_010 ... -9_990] {
            let zs = random.floats(rows * classes, in: range), zt = random.floats(rows * classes, in: range)
            let student = try device.makeBuffer(zs), teacher = try device.makeBuffer(zt)
            for op in try SoftmaxReference.mappings.map({ try SoftmaxKLLauncher(device: device, mapping: $0) }) {
                for temperature in [Float(1), 4] {
                    for direction in Self.directions {
                        let outputs = try encode(op, stream, student: student, teacher: teacher, rows: rows, classes: classes,
                                                 temperature: temperature, scale: 1, direction: direction)
                        try stream.run()
                        let expected = SoftmaxKLOracle.lossAndGradient(student: zs, teacher: zt, rows: rows, classes: classes,
                                                                       temperature: Double(temperature),
                                                 scale: 1, direction: direction)
                        let loss = try outputs.loss.read(Float.self), gradient = try outputs.gradient.read(Float.self)
                        let message = "\(range) T=\(temperature) \(direction) \(op.mapping)"
                        XCTAssert(loss.allSatisfy(\.isFinite) && gradient.allSatisfy(\.isFinite), message)
                        XCTAssertLessThanOrEqual(maxRelativeError(loss, expected.loss), 1e-4, "loss " + message)
                        XCTAssertLessThanOrEqual(maxRelativeError(gradient, expected.gradient), 1e-4, "gradient " + message)
                    }
                }
            }
        }
    }

    func testIdenticalLogitsGiveZeroLossAndGradient() throws {
        var random = TestRandom(seed: 34)
        let stream = try device.makeStream()
        for (rows, classes) in [(7, 10), (4, 1000)] {
            let logits = try device.makeBuffer(random.floats(rows * classes, in: -20...20))
            for op in try SoftmaxReference.mappings.map({ try SoftmaxKLLauncher(device: device, mapping: $0) }) {
                for temperature in [Float(1), 4] {
                    for direction in Self.directions {
                        let outputs = try encode(op, stream, student: logits, teacher: logits, rows: rows, classes: classes,
                                                 temperature: temperature, scale: 16, direction: direction)
                        try stream.run()
                        let message = "[\(rows), \(classes)] T=\(temperature) \(direction) \(op.mapping)"
                        XCTAssertLessThanOrEqual(try outputs.loss.read(Float.self).map(abs).max()!, 1e-6, "loss " + message)
                        XCTAssertLessThanOrEqual(try outputs.gradient.read(Float.self).map(abs).max()!, 1e-6, "gradient " + message)
                    }
                }
            }
        }
    }

    /// Forward and reverse KL summed into one gradient and one loss buffer that already hold values.
    func testAccumulationSumsLossesOnTheSameLogits() throws {
        var random = TestRandom(seed: 35)
        let (rows, classes) = (6, 13)
        let zs = random.floats(rows * classes, in: -4...4), zt = random.floats(rows * classes, in: -4...4)
        let priorGradient = random.floats(rows * classes), priorLoss = random.floats(rows)
        let gradient = try device.makeBuffer(priorGradient), loss = try device.makeBuffer(priorLoss)
        let student = try device.makeBuffer(zs), teacher = try device.makeBuffer(zt)
        let op = try SoftmaxKLLauncher(device: device)
        let stream = try device.makeStream()
        try op.encode(into: stream, student: student, teacher: teacher, studentGradient: gradient, loss: loss, rows: rows, classes: classes,
                      temperature: 2, scale: 0.5, direction: .forward, accumulateGradient: true, accumulateLoss: true)
        try op.encode(into: stream, student: student, teacher: teacher, studentGradient: gradient, loss: loss, rows: rows, classes: classes,
                      temperature: 3, scale: 0.25, direction: .reverse, accumulateGradient: true, accumulateLoss: true)
        try stream.run()
        let first = SoftmaxKLOracle.lossAndGradient(student: zs, teacher: zt, rows: rows, classes: classes, temperature: 2, scale: 0.5,
                                                    direction: .forward)
        let second = SoftmaxKLOracle.lossAndGradient(student: zs, teacher: zt, rows: rows, classes: classes, temperature: 3, scale: 0.25,
                                                     direction: .reverse)
        let expectedGradient = (0..<(rows * classes)).map { Double(priorGradient[$0]) + first.gradient[$0] + second.gradient[$0] }
        let expectedLoss = (0..<rows).map { Double(priorLoss[$0]) + first.loss[$0] + second.loss[$0] }
        XCTAssertLessThanOrEqual(maxRelativeError(try gradient.read(Float.self), expectedGradient), 1e-5)
        XCTAssertLessThanOrEqual(maxRelativeError(try loss.read(Float.self), expectedLoss), 1e-5)

        // Accumulating only the gradient overwrites the loss.
        try op.encode(into: stream, student: student, teacher: teacher, studentGradient: gradient, loss: loss, rows: rows, classes: classes,
                      temperature: 2, scale: 0.5, direction: .forward, accumulateGradient: true)
        try stream.run()
        XCTAssertLessThanOrEqual(maxRelativeError(try loss.read(Float.self), first.loss), 1e-5)
    }

    func testSameInputsGiveTheSameBits() throws {
        var random = TestRandom(seed: 36)
        let (rows, classes) = (130, 1000)
        let student = try device.makeBuffer(random.floats(rows * classes, in: -10...10))
        let teacher = try device.makeBuffer(random.floats(rows * classes, in: -10...10))
        let stream = try device.makeStream()
        for op in try SoftmaxReference.mappings.map({ try SoftmaxKLLauncher(device: device, mapping: $0) }) {
            for direction in Self.directions {
                let runs = try (0..<2).map { _ in
                    try encode(op, stream, student: student, teacher: teacher, rows: rows, classes: classes, temperature: 4, scale: 0.1,
                               direction: direction)
                }
                try stream.run()
                XCTAssertEqual(try runs[0].loss.read(UInt32.self), try runs[1].loss.read(UInt32.self), "\(direction) \(op.mapping)")
                XCTAssertEqual(try runs[0].gradient.read(UInt32.self), try runs[1].gradient.read(UInt32.self), "\(direction) \(op.mapping)")
            }
        }
    }

    func testBadShapesAndArgumentsThrow() throws {
        let op = try SoftmaxKLLauncher(device: device)
        let stream = try device.makeStream()
        let logits = try device.makeBuffer(byteCount: 4 * 40), small = try device.makeBuffer(byteCount: 4 * 39), loss = try device.makeBuffer(byteCount: 16)
        func encode(student: Buffer? = nil, gradient: Buffer? = nil, loss lossBuffer: Buffer? = nil, rows: Int = 4, classes: Int = 10,
                    temperature: Float = 1, scale: Float = 1) throws {
            try op.encode(into: stream, student: student ?? logits, teacher: logits, studentGradient: gradient ?? logits, loss: lossBuffer ?? loss,
                          rows: rows, classes: classes, temperature: temperature, scale: scale)
        }
        XCTAssertThrowsError(try encode(student: small)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssert(message.contains("[4, 10]") && message.contains("student logits"), message)
        }
        XCTAssertThrowsError(try encode(gradient: small))
        XCTAssertThrowsError(try encode(loss: try device.makeBuffer(byteCount: 12)))
        XCTAssertThrowsError(try encode(rows: 0))
        XCTAssertThrowsError(try encode(classes: -1))
        XCTAssertThrowsError(try encode(temperature: 0))
        XCTAssertThrowsError(try encode(temperature: -1))
        XCTAssertThrowsError(try encode(temperature: .infinity))
        XCTAssertThrowsError(try encode(scale: .nan))
        XCTAssertThrowsError(try SoftmaxKLLauncher(device: device, mapping: .workgroupPerRow(lanes: 512)))
        XCTAssertEqual(stream.dispatchCount, 0)
        XCTAssertNoThrow(try encode())
        try stream.run()
    }
}
