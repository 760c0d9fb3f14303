import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class ElementwiseTests: DeviceTestCase {
    /// Shapes covering 1-D sizes 1 … 65537, NCHW and NC tensors, odd and vector-friendly sizes.
    static let shapes: [[Int]] = [[1], [7], [33], [1000], [65_537], [3, 5, 7, 9], [2, 4, 8, 8], [4, 6], [130, 3], [1, 1, 1, 1],
                                  [2, 3, 1, 5], [5, 8, 3], [2, 64, 3, 3], [3, 130], [2, 300, 2, 2]]

    func broadcasts(for shape: [Int]) -> [ElementwiseLauncher.Broadcast] {
        ElementwiseLauncher.Broadcast.allCases.filter { $0 != .channel || shape.count >= 2 }
    }

    func testBinaryOpsMatchTheCPUForEveryBroadcast() throws {
        let elementwise = try ElementwiseLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 21)
        for shape in Self.shapes {
            let count = shape.reduce(1, *)
            for broadcast in broadcasts(for: shape) {
                let a = random.floats(count), b = random.floats(broadcast.count(for: shape))
                let bufferA = try device.makeBuffer(a), bufferB = try device.makeBuffer(b)
                let cases: [(String, (Buffer) throws -> Void, (Double, Double) -> Double)] = [
                    ("add", { try elementwise.encodeAdd(into: stream, a: bufferA, b: bufferB, output: $0, shape: shape, broadcast: broadcast) }, +),
                    ("add alpha", { try elementwise.encodeAdd(into: stream, a: bufferA, b: bufferB, output: $0, shape: shape, broadcast: broadcast,
                                                              alpha: -0.75) }, { $0 - 0.75 * $1 }),
                    ("subtract", { try elementwise.encodeSubtract(into: stream, a: bufferA, b: bufferB, output: $0, shape: shape,
                                                                  broadcast: broadcast) }, -),
                    ("multiply", { try elementwise.encodeMultiply(into: stream, a: bufferA, b: bufferB, output: $0, shape: shape,
                                                                  broadcast: broadcast) }, *),
                ]
                for (name, encode, reference) in cases {
                    let output = try device.makeBuffer(byteCount: count * 4)
                    try encode(output)
                    try stream.run()
                    let expected = ElementwiseOracle.binary(a, b, shape: shape, broadcast, reference)
                    XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), expected), 1e-6, "\(name) \(shape) \(broadcast)")
                }
                // axpy: y = 1.5 x + y in place.
                let y = try device.makeBuffer(a)
                try elementwise.encodeAXPY(into: stream, alpha: 1.5, x: bufferB, y: y, shape: shape, broadcast: broadcast)
                try stream.run()
                let expected = ElementwiseOracle.binary(a, b, shape: shape, broadcast) { $0 + 1.5 * $1 }
                XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self), expected), 1e-6, "axpy \(shape) \(broadcast)")
            }
        }
    }

    func testSameShapeOpsMatchTheCPU() throws {
        let elementwise = try ElementwiseLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 27)
        for count in [1, 255, 257, 1000] {
            let a = random.floats(count), b = random.floats(count).map { $0 < 0 ? $0 - 0.5 : $0 + 0.5 }  // no division by ~0
            let bufferA = try device.makeBuffer(a), bufferB = try device.makeBuffer(b), output = try device.makeBuffer(byteCount: count * 4)
            for operation in ElementwiseLauncher.Operation.allCases {
                try elementwise.encode(operation, into: stream, a: bufferA, b: bufferB, output: output, count: count)
                try stream.run()
                let expected = ElementwiseOracle.apply(operation, a, b)
                XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), expected), 1e-6, "\(operation) of \(count)")
            }
        }
        assertInvalidArgument("output too small") {
            try elementwise.encode(.add, into: stream, a: try device.makeBuffer(byteCount: 64), b: try device.makeBuffer(byteCount: 64),
                                   output: try device.makeBuffer(byteCount: 16), count: 16)
        }
    }

    func testSameShapeOpsCoverMoreElementsThanOneGridOfWorkgroups() throws {
        // 65,535 workgroups of 256 cover 16,776,960 elements; the shader loops over the rest.
        let count = 65_535 * 256 + 300
        let a = (0..<count).map { Float($0 % 1000) }, b = (0..<count).map { Float($0 % 7) }
        let output = try device.makeBuffer(byteCount: count * 4)
        let stream = try device.makeStream()
        try ElementwiseLauncher(device: device).encode(.add, into: stream, a: try device.makeBuffer(a), b: try device.makeBuffer(b),
                                                       output: output, count: count)
        try stream.run()
        let sum = try output.read(Float.self)
        XCTAssertEqual(sum.count, count)
        XCTAssertNil(sum.indices.first { sum[$0] != a[$0] + b[$0] }, "first wrong element")
    }

    func testScaleAndInPlaceOps() throws {
        let elementwise = try ElementwiseLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 22)
        for count in [1, 7, 33, 1000, 65_537] {
            let x = random.floats(count), b = random.floats(1)
            let input = try device.makeBuffer(x), output = try device.makeBuffer(byteCount: count * 4)
            try elementwise.encodeScale(into: stream, alpha: -2.5, x: input, output: output, count: count)
            try stream.run()
            XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), x.map { -2.5 * Double($0) }), 1e-6, "scale \(count)")
            // In place, twice in one stream: the second dispatch must see the first one's result.
            try elementwise.encodeScale(into: stream, alpha: 3, x: input, output: input, count: count)
            try elementwise.encodeAdd(into: stream, a: input, b: try device.makeBuffer(b), output: input, shape: [count], broadcast: .scalar)
            try stream.run()
            XCTAssertLessThanOrEqual(maxRelativeError(try input.read(Float.self), x.map { 3 * Double($0) + Double(b[0]) }), 1e-6,
                                     "in place \(count)")
        }
    }

    /// The gradient of a broadcast operand (sum back to its shape) against central differences of the
    /// forward op on the device: L = Σ w ⊙ (a + b) and L = Σ w ⊙ (a ⊙ b).
    func testBroadcastGradientsMatchFiniteDifferences() throws {
        let elementwise = try ElementwiseLauncher(device: device)
        let reduction = try ReduceLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 23)
        let shape = [3, 5, 7, 9]
        let count = shape.reduce(1, *)
        for broadcast in ElementwiseLauncher.Broadcast.allCases {
            let a = random.floats(count), w = random.floats(count)
            var b = random.floats(broadcast.count(for: shape))
            let bufferA = try device.makeBuffer(a), output = try device.makeBuffer(byteCount: count * 4)
            for multiply in [false, true] {
                func loss(_ b: [Float]) throws -> Double {
                    let bufferB = try device.makeBuffer(b)
                    if multiply {
                        try elementwise.encodeMultiply(into: stream, a: bufferA, b: bufferB, output: output, shape: shape, broadcast: broadcast)
                    } else {
                        try elementwise.encodeAdd(into: stream, a: bufferA, b: bufferB, output: output, shape: shape, broadcast: broadcast)
                    }
                    try stream.run()
                    return zip(try output.read(Float.self), w).reduce(0) { $0 + Double($1.0) * Double($1.1) }
                }
                // Backward: dL/db = sum_to_broadcast(w) for add, sum_to_broadcast(w ⊙ a) for multiply.
                let upstream = try device.makeBuffer(w)
                if multiply { try elementwise.encodeMultiply(into: stream, a: upstream, b: bufferA, output: upstream, shape: shape) }
                let gradient = try device.makeBuffer(byteCount: b.count * 4)
                try reduction.encodeSum(into: stream, input: upstream, output: gradient, shape: shape, to: broadcast)
                try stream.run()
                let analytic = try gradient.read(Float.self)
                let h: Float = 1e-2
                for index in Set((0..<4).map { $0 * (b.count - 1) / 3 }) {
                    let saved = b[index]
                    b[index] = saved + h
                    let plus = try loss(b)
                    b[index] = saved - h
                    let minus = try loss(b)
                    b[index] = saved
                    let numeric = (plus - minus) / (2 * Double(h))
                    XCTAssertEqual(Double(analytic[index]), numeric, accuracy: 1e-2 * max(1, abs(numeric)),
                                   "\(multiply ? "multiply" : "add") \(broadcast) b[\(index)]")
                }
            }
        }
    }

    func testSameInputsGiveTheSameBits() throws {
        let elementwise = try ElementwiseLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 26)
        let shape = [3, 5, 7, 9], count = 945
        let a = try device.makeBuffer(random.floats(count)), b = try device.makeBuffer(random.floats(5))
        var results: [[UInt32]] = []
        for _ in 0..<2 {
            let output = try device.makeBuffer(byteCount: count * 4)
            try elementwise.encodeMultiply(into: stream, a: a, b: b, output: output, shape: shape, broadcast: .channel)
            try elementwise.encodeAXPY(into: stream, alpha: 0.3, x: a, y: output, shape: shape)
            try stream.run()
            results.append(try output.read(UInt32.self))
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testBadShapesAreInvalidArguments() throws {
        let elementwise = try ElementwiseLauncher(device: device)
        let stream = try device.makeStream()
        let small = try device.makeBuffer(byteCount: 16), big = try device.makeBuffer(byteCount: 4096)
        assertInvalidArgument("empty shape") { try elementwise.encodeAdd(into: stream, a: big, b: big, output: big, shape: []) }
        assertInvalidArgument("zero axis") { try elementwise.encodeAdd(into: stream, a: big, b: big, output: big, shape: [2, 0, 3]) }
        assertInvalidArgument("channel of 1-D") {
            try elementwise.encodeMultiply(into: stream, a: big, b: big, output: big, shape: [16], broadcast: .channel)
        }
        assertInvalidArgument("a too small") { try elementwise.encodeSubtract(into: stream, a: small, b: big, output: big, shape: [2, 3, 4]) }
        assertInvalidArgument("b too small") {
            try elementwise.encodeAdd(into: stream, a: big, b: small, output: big, shape: [2, 8, 4], broadcast: .channel)
        }
        assertInvalidArgument("output too small") { try elementwise.encodeAXPY(into: stream, alpha: 1, x: big, y: small, shape: [5]) }
        assertInvalidArgument("output is the broadcast operand") {
            try elementwise.encodeAdd(into: stream, a: big, b: small, output: small, shape: [4, 4], broadcast: .sample)
        }
        assertInvalidArgument("scale count") { try elementwise.encodeScale(into: stream, alpha: 2, x: small, output: big, count: 5) }
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}

final class DivisionMagicTests: XCTestCase {
    /// The broadcast kernel's division by magic numbers, replayed on the CPU, for divisors and
    /// dividends at the edges (powers of two ± 1, up to 2³¹ − 1).
    func testMagicNumbersDivideExactly() {
        var random = TestRandom(seed: 27)
        var divisors = [1, 2, 3, 5, 7, 9, 63, 64, 65, 1000, 1024, 65_537, 1 << 20, (1 << 30) + 1, Int(Int32.max)]
        divisors += (0..<50).map { _ in Int.random(in: 1...Int(Int32.max), using: &random) }
        var dividends: [UInt32] = [0, 1, 2, 3, UInt32(Int32.max), UInt32(Int32.max) - 1]
        dividends += (0..<31).flatMap { bit in [UInt32(1) << bit, (UInt32(1) << bit) - 1, (UInt32(1) << bit) + 1] }.filter { $0 <= UInt32(Int32.max) }
        dividends += (0..<2000).map { _ in UInt32.random(in: 0...UInt32(Int32.max), using: &random) }
        for divisor in divisors {
            let (magic, shift) = ElementwiseLauncher.divisionMagic(divisor)
            for n in dividends + [UInt32(divisor), UInt32(divisor) - 1, UInt32(min(Int(Int32.max), divisor + 1))] {
                let high = UInt32((UInt64(n) * UInt64(magic)) >> 32)
                XCTAssertEqual((high &+ n) >> shift, n / UInt32(divisor), "\(n) / \(divisor)")
            }
        }
    }
}
