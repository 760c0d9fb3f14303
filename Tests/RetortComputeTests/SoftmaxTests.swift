import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

/// Shared settings for the softmax-family tests.
enum SoftmaxReference {
    /// Shapes every kernel is checked on: odd and even batch sizes, 1 to 1000 classes.
    static let shapes: [(rows: Int, columns: Int)] = [1, 7, 64, 130].flatMap { rows in [1, 2, 10, 100, 1000].map { (rows, $0) } }

    /// Every row mapping. 3 rows per workgroup leave the last workgroup partly past the end for most
    /// batch sizes; 36 lanes leave a partial subgroup at subgroup size 8 and 32, and make the lanes
    /// of a 1000-column row take different numbers of columns.
    static let mappings: [SoftmaxRowMapping] = [.invocationPerRow(rowsPerWorkgroup: 16), .subgroupPerRow(rowsPerWorkgroup: 3), .workgroupPerRow(lanes: 36)]

    /// `(L(x + h e_i) − L(x − h e_i)) / 2h` agrees with `analytic` to 1 % (with a floor for tiny
    /// derivatives, since the device losses are fp32).
    static func assertClose(analytic: Float, plus: Double, minus: Double, step: Float, _ message: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        let numeric = (plus - minus) / (2 * Double(step))
        XCTAssertLessThanOrEqual(abs(Double(analytic) - numeric), 1e-2 * max(abs(numeric), 1e-2),
                                 "\(message): analytic \(analytic), finite difference \(numeric)", file: file, line: line)
    }
}

final class SoftmaxTests: DeviceTestCase {
    func testForwardMatchesTheCPU() throws {
        var random = TestRandom(seed: 21)
        let stream = try device.makeStream()
        let ops = try SoftmaxReference.mappings.map { try SoftmaxLauncher(device: device, mapping: $0) }
        for (rows, columns) in SoftmaxReference.shapes {
            let x = random.floats(rows * columns, in: -8...8)
            let input = try device.makeBuffer(x)
            var checks: [(Buffer, [Double], String)] = []
            for temperature in [Float(1), 4] {
                for variant in [SoftmaxLauncher.Variant.softmax, .logSoftmax] {
                    let expected = SoftmaxOracle.forward(x, rows: rows, columns: columns, temperature: Double(temperature),
                                                         variant: variant)
                    for op in ops {
                        let output = try device.makeBuffer(byteCount: rows * columns * 4)
                        try op.encode(into: stream, input: input, output: output, rows: rows, columns: columns, temperature: temperature,
                                      variant: variant)
                        checks.append((output, expected, "[\(rows), \(columns)] T=\(temperature) \(variant) \(op.mapping)"))
                    }
                }
            }
            try stream.run()
            for (output, expected, message) in checks {
                XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), expected), 1e-4, message)
            }
        }
    }

    func testBackwardMatchesTheCPU() throws {
        var random = TestRandom(seed: 22)
        let stream = try device.makeStream()
        let ops = try SoftmaxReference.mappings.map { try SoftmaxLauncher(device: device, mapping: $0) }
        for (rows, columns) in SoftmaxReference.shapes {
            let dy = random.floats(rows * columns, in: -2...2)
            let gradient = try device.makeBuffer(dy)
            var checks: [(Buffer, [Double], String)] = []
            for variant in [SoftmaxLauncher.Variant.softmax, .logSoftmax] {
                // A genuine forward output (rounded to fp32) as the saved tensor.
                let y = SoftmaxOracle.forward(random.floats(rows * columns, in: -5...5), rows: rows, columns: columns, temperature: 1,
                                              variant: variant).map(Float.init)
                let output = try device.makeBuffer(y)
                for temperature in [Float(1), 4] {
                    let expected = SoftmaxOracle.backward(y: y, dy: dy, rows: rows, columns: columns, temperature: Double(temperature),
                                                          variant: variant)
                    for op in ops {
                        let dx = try device.makeBuffer(byteCount: rows * columns * 4)
                        try op.encodeBackward(into: stream, output: output, outputGradient: gradient, inputGradient: dx, rows: rows,
                                              columns: columns, temperature: temperature, variant: variant)
                        checks.append((dx, expected, "[\(rows), \(columns)] T=\(temperature) \(variant) \(op.mapping)"))
                    }
                }
            }
            try stream.run()
            for (dx, expected, message) in checks {
                XCTAssertLessThanOrEqual(maxRelativeError(try dx.read(Float.self), expected), 1e-4, message)
            }
        }
    }

    /// backward(dy = w) against central differences of L(x) = Σ w ⊙ forward(x), the forward run on the device.
    func testBackwardMatchesFiniteDifferencesOfTheDeviceForward() throws {
        let (rows, columns) = (3, 11)
        var random = TestRandom(seed: 23)
        let stream = try device.makeStream()
        let x = random.floats(rows * columns, in: -3...3), w = random.floats(rows * columns)
        let weights = try device.makeBuffer(w)
        let step: Float = 1e-2
        let samples = (0..<8).map { _ in Int.random(in: 0..<(rows * columns), using: &random) }
        for op in try SoftmaxReference.mappings.map({ try SoftmaxLauncher(device: device, mapping: $0) }) {
            for variant in [SoftmaxLauncher.Variant.softmax, .logSoftmax] {
                for temperature in [Float(1), 4] {
                    func forward(_ input: [Float]) throws -> Buffer {
                        let output = try device.makeBuffer(byteCount: rows * columns * 4)
                        try op.encode(into: stream, input: try device.makeBuffer(input), output: output, rows: rows, columns: columns,
                                      temperature: temperature, variant: variant)
                        return output
                    }
                    let y = try forward(x)
                    let dx = try device.makeBuffer(byteCount: rows * columns * 4)
                    try op.encodeBackward(into: stream, output: y, outputGradient: weights, inputGradient: dx, rows: rows, columns: columns,
                                          temperature: temperature, variant: variant)
                    let perturbed = try samples.map { i -> (Buffer, Buffer) in
                        var plus = x, minus = x
                        plus[i] += step
                        minus[i] -= step
                        return (try forward(plus), try forward(minus))
                    }
                    try stream.run()
                    func loss(_ output: Buffer) throws -> Double { zip(try output.read(Float.self), w).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
                    let analytic = try dx.read(Float.self)
                    for (i, (plus, minus)) in zip(samples, perturbed) {
                        SoftmaxReference.assertClose(analytic: analytic[i], plus: try loss(plus), minus: try loss(minus), step: step,
                                                     "\(variant) T=\(temperature) \(op.mapping) x[\(i)]")
                    }
                }
            }
        }
    }

    func testLogitsOfMagnitude1e4GiveFiniteResults() throws {
        var random = TestRandom(seed: 24)
        let stream = try device.makeStream()
        let (rows, columns) = (9, 100)
        for range: ClosedRange<Float> in [-1e4...1e4, 9_995...10_005, -10_005 ... -9_995] {
            let x = random.floats(rows * columns, in: range)
            let input = try device.makeBuffer(x)
            for op in try SoftmaxReference.mappings.map({ try SoftmaxLauncher(device: device, mapping: $0) }) {
                for variant in [SoftmaxLauncher.Variant.softmax, .logSoftmax] {
                    let output = try device.makeBuffer(byteCount: rows * columns * 4)
                    try op.encode(into: stream, input: input, output: output, rows: rows, columns: columns, temperature: 1, variant: variant)
                    try stream.run()
                    let y = try output.read(Float.self)
                    XCTAssert(y.allSatisfy(\.isFinite), "\(range) \(variant) \(op.mapping)")
                    XCTAssertLessThanOrEqual(maxRelativeError(y, SoftmaxOracle.forward(x, rows: rows, columns: columns, temperature: 1,
                                                                                       variant: variant)), 1e-4,
                                             "\(range) \(variant) \(op.mapping)")
                }
            }
        }
    }

    func testBackwardAccumulatesIntoTheGradient() throws {
        var random = TestRandom(seed: 25)
        let (rows, columns) = (5, 33)
        let y = SoftmaxOracle.forward(random.floats(rows * columns), rows: rows, columns: columns, temperature: 1,
                                      variant: .softmax).map(Float.init)
        let dy = random.floats(rows * columns), prior = random.floats(rows * columns)
        let dx = try device.makeBuffer(prior)
        let stream = try device.makeStream()
        let op = try SoftmaxLauncher(device: device)
        try op.encodeBackward(into: stream, output: try device.makeBuffer(y), outputGradient: try device.makeBuffer(dy), inputGradient: dx,
                              rows: rows, columns: columns, temperature: 2, accumulate: true)
        try stream.run()
        let expected = zip(prior, SoftmaxOracle.backward(y: y, dy: dy, rows: rows, columns: columns, temperature: 2,
                                                         variant: .softmax)).map { Double($0) + $1 }
        XCTAssertLessThanOrEqual(maxRelativeError(try dx.read(Float.self), expected), 1e-5)
    }

    func testSameInputsGiveTheSameBits() throws {
        var random = TestRandom(seed: 26)
        let (rows, columns) = (33, 1000)
        let input = try device.makeBuffer(random.floats(rows * columns, in: -10...10))
        let stream = try device.makeStream()
        for op in try SoftmaxReference.mappings.map({ try SoftmaxLauncher(device: device, mapping: $0) }) {
            let outputs = try (0..<2).map { _ in try device.makeBuffer(byteCount: rows * columns * 4) }
            for output in outputs { try op.encode(into: stream, input: input, output: output, rows: rows, columns: columns, temperature: 3) }
            try stream.run()
            XCTAssertEqual(try outputs[0].read(UInt32.self), try outputs[1].read(UInt32.self), "\(op.mapping)")
        }
    }

    /// More than 65535 workgroups: the rows spill into the second dispatch dimension.
    func testRowsBeyondOneDispatchDimension() throws {
        let (rows, columns) = (70_001, 3)
        var random = TestRandom(seed: 27)
        let x = random.floats(rows * columns, in: -5...5)
        let op = try SoftmaxLauncher(device: device, mapping: .invocationPerRow(rowsPerWorkgroup: 1))
        let output = try device.makeBuffer([Float](repeating: .nan, count: rows * columns))
        let stream = try device.makeStream()
        try op.encode(into: stream, input: try device.makeBuffer(x), output: output, rows: rows, columns: columns, variant: .logSoftmax)
        try stream.run()
        XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self),
                                                  SoftmaxOracle.forward(x, rows: rows, columns: columns, temperature: 1,
                                                                        variant: .logSoftmax)), 1e-4)
    }

    func testBadShapesAndArgumentsThrow() throws {
        let op = try SoftmaxLauncher(device: device)
        let stream = try device.makeStream()
        let small = try device.makeBuffer(byteCount: 40), large = try device.makeBuffer(byteCount: 400)
        XCTAssertThrowsError(try op.encode(into: stream, input: small, output: large, rows: 2, columns: 10))
        XCTAssertThrowsError(try op.encode(into: stream, input: large, output: large, rows: 0, columns: 10))
        XCTAssertThrowsError(try op.encode(into: stream, input: large, output: large, rows: 2, columns: 10, temperature: 0))
        XCTAssertThrowsError(try op.encode(into: stream, input: large, output: large, rows: 2, columns: 10, temperature: .nan))
        XCTAssertThrowsError(try op.encodeBackward(into: stream, output: large, outputGradient: large, inputGradient: small, rows: 2, columns: 10))
        XCTAssertThrowsError(try op.encode(into: stream, input: large, output: large, rows: 1 << 20, columns: 1 << 12)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssert(message.contains("[1048576, 4096]"), message)
        }
        XCTAssertThrowsError(try SoftmaxLauncher(device: device, mapping: .workgroupPerRow(lanes: 0)))
        XCTAssertThrowsError(try SoftmaxLauncher(device: device, mapping: .invocationPerRow(rowsPerWorkgroup: 0)))
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
