import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class ReLUTests: DeviceTestCase {
    func testReLUForwardAndBackwardMatchTheCPU() throws {
        let relu = try ReLULauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 24)
        for count in [1, 7, 33, 1000, 65_537, 3 * 5 * 7 * 9, 4096] {
            let x = random.floats(count), dy = random.floats(count)
            let input = try device.makeBuffer(x), output = try device.makeBuffer(byteCount: count * 4)
            try relu.encodeReLU(into: stream, input: input, output: output, count: count)
            try stream.run()
            XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), ReLUOracle.relu(x)), 0, "relu \(count)")
            let expected = ReLUOracle.reluBackward(mask: x, dy)
            for mask in [input, output] {
                let gradient = try device.makeBuffer(dy), inputGradient = try device.makeBuffer(byteCount: count * 4)
                try relu.encodeReLUBackward(into: stream, outputGradient: gradient, mask: mask, inputGradient: inputGradient, count: count)
                try stream.run()
                XCTAssertLessThanOrEqual(maxRelativeError(try inputGradient.read(Float.self), expected), 0, "relu backward \(count)")
                // In place: the gradient buffer becomes the input gradient.
                try relu.encodeReLUBackward(into: stream, outputGradient: gradient, mask: mask, inputGradient: gradient, count: count)
                try stream.run()
                XCTAssertLessThanOrEqual(maxRelativeError(try gradient.read(Float.self), expected), 0, "relu backward in place \(count)")
            }
        }
    }

    func testReLUPropagatesNaNLikePyTorch() throws {
        let relu = try ReLULauncher(device: device)
        let stream = try device.makeStream()
        for count in [5, 8] {
            let x: [Float] = [.nan, -1, 2, -.infinity, .infinity, -0.5, 0, 3].prefix(count).map { $0 }
            let input = try device.makeBuffer(x), output = try device.makeBuffer(byteCount: count * 4)
            try relu.encodeReLU(into: stream, input: input, output: output, count: count)
            try stream.run()
            let y = try output.read(Float.self)
            XCTAssert(y[0].isNaN, "relu(NaN) should stay NaN, got \(y[0])")
            XCTAssertEqual(Array(y.dropFirst()), x.dropFirst().map { max($0, 0) })
            // Backward with the input as mask: NaN and positive entries pass the gradient.
            let dy = (0..<count).map { Float($0 + 1) }, dx = try device.makeBuffer(byteCount: count * 4)
            try relu.encodeReLUBackward(into: stream, outputGradient: try device.makeBuffer(dy), mask: input, inputGradient: dx,
                                               count: count)
            try stream.run()
            XCTAssertEqual(try dx.read(Float.self), zip(x, dy).map { $0.isNaN || $0 > 0 ? $1 : 0 })
        }
    }

    /// `max(a + b, 0)` in one pass, exactly as the float sum then the ReLU (into a new buffer, or over
    /// either input); its backward is the ReLU backward with the output as mask (0 where the sum is
    /// ≤ 0, including exactly 0). A NaN or ∞ − ∞ sum stays NaN.
    func testReLUOfSumMatchesTheCPU() throws {
        let relu = try ReLULauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 26)
        for count in [3, 7, 33, 1000, 65_537, 3 * 5 * 7 * 9, 4096] {
            let a: [Float] = [.nan, .infinity] + random.floats(count + 1).dropFirst(3)
            let b: [Float] = [1, -.infinity, -a[2]] + random.floats(count).dropFirst(3)   // NaN, ∞ − ∞, exactly 0
            let sums = zip(a, b).map { $0 + $1 }
            let expected = ReLUOracle.reluOfSum(a, b)
            let first = try device.makeBuffer(a), second = try device.makeBuffer(b), fresh = try device.makeBuffer(byteCount: count * 4)
            for (name, output) in [("new", fresh), ("a", first), ("b", second)] {
                try first.write(a)
                try second.write(b)
                try relu.encodeReLUOfSum(into: stream, a: first, b: second, output: output, count: count)
                try stream.run()
                XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), expected), 0, "relu of sum into \(name), \(count)")
            }
            let dy = random.floats(count), gradient = try device.makeBuffer(byteCount: count * 4)
            try relu.encodeReLUBackward(into: stream, outputGradient: try device.makeBuffer(dy), mask: fresh, inputGradient: gradient,
                                        count: count)
            try stream.run()
            let masked = ReLUOracle.reluBackward(mask: sums, dy)
            XCTAssertLessThanOrEqual(maxRelativeError(try gradient.read(Float.self), masked), 0, "relu of sum backward \(count)")
        }
    }

    /// ReLU backward against central differences of the device forward, at points away from 0.
    func testReLUBackwardMatchesFiniteDifferences() throws {
        let relu = try ReLULauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 25)
        let count = 33
        // |x| ≥ 0.1 so that x ± h never crosses the kink.
        var x = random.floats(count, in: 0.1...1).map { random.next() % 2 == 0 ? $0 : -$0 }
        let w = random.floats(count)
        let output = try device.makeBuffer(byteCount: count * 4)
        func loss(_ x: [Float]) throws -> Double {
            try relu.encodeReLU(into: stream, input: try device.makeBuffer(x), output: output, count: count)
            try stream.run()
            return zip(try output.read(Float.self), w).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let gradient = try device.makeBuffer(byteCount: count * 4)
        try relu.encodeReLUBackward(into: stream, outputGradient: try device.makeBuffer(w), mask: try device.makeBuffer(x),
                                           inputGradient: gradient, count: count)
        try stream.run()
        let analytic = try gradient.read(Float.self)
        let h: Float = 1e-2
        for index in [0, 5, 11, 17, 23, 32] {
            let saved = x[index]
            x[index] = saved + h
            let plus = try loss(x)
            x[index] = saved - h
            let minus = try loss(x)
            x[index] = saved
            let numeric = (plus - minus) / (2 * Double(h))
            XCTAssertEqual(Double(analytic[index]), numeric, accuracy: 1e-2 * max(1, abs(numeric)), "x[\(index)] = \(saved)")
        }
    }

    /// ReLU6 against the CPU at odd and even counts (both texel formats), with values at and around 0 and 6,
    /// ±∞ and NaN; its backward from either mask passes the gradient only where 0 < x < 6 (and at NaN).
    func testReLU6ForwardAndBackwardMatchTheCPU() throws {
        let relu = try ReLULauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 27)
        let edges: [Float] = [.nan, 0, 6, -.infinity, .infinity, 5.999, 6.001, -0.001, 3]
        for count in [9, 12, 33, 1000, 65_537, 4096] {
            let x = edges + random.floats(count - edges.count, in: -2...8)
            let dy = random.floats(count)
            let input = try device.makeBuffer(x), output = try device.makeBuffer(byteCount: count * 4)
            try relu.encodeReLU6(into: stream, input: input, output: output, count: count)
            try stream.run()
            let y = try output.read(Float.self)
            XCTAssert(y[0].isNaN, "relu6(NaN) should stay NaN, got \(y[0])")
            XCTAssertEqual(Array(y.dropFirst()), x.dropFirst().map { min(max($0, 0), 6) }, "relu6 \(count)")
            let expected = ReLUOracle.relu6Backward(mask: x, dy).map(Float.init)
            for mask in [input, output] {
                let gradient = try device.makeBuffer(dy), inputGradient = try device.makeBuffer(byteCount: count * 4)
                try relu.encodeReLU6Backward(into: stream, outputGradient: gradient, mask: mask, inputGradient: inputGradient, count: count)
                try stream.run()
                XCTAssertEqual(try inputGradient.read(Float.self), expected, "relu6 backward \(count)")
                try relu.encodeReLU6Backward(into: stream, outputGradient: gradient, mask: mask, inputGradient: gradient, count: count)
                try stream.run()
                XCTAssertEqual(try gradient.read(Float.self), expected, "relu6 backward in place \(count)")
            }
        }
    }

    func testBadShapesAreInvalidArguments() throws {
        let relu = try ReLULauncher(device: device)
        let stream = try device.makeStream()
        let small = try device.makeBuffer(byteCount: 16), big = try device.makeBuffer(byteCount: 4096)
        assertInvalidArgument("relu count") { try relu.encodeReLU(into: stream, input: big, output: small, count: 64) }
        assertInvalidArgument("relu zero") { try relu.encodeReLU(into: stream, input: big, output: big, count: 0) }
        assertInvalidArgument("relu of sum") { try relu.encodeReLUOfSum(into: stream, a: big, b: small, output: big, count: 64) }
        assertInvalidArgument("relu of sum zero") { try relu.encodeReLUOfSum(into: stream, a: big, b: big, output: big, count: 0) }
        assertInvalidArgument("relu6 count") { try relu.encodeReLU6(into: stream, input: big, output: small, count: 64) }
        assertInvalidArgument("relu6 backward") {
            try relu.encodeReLU6Backward(into: stream, outputGradient: small, mask: big, inputGradient: big, count: 100)
        }
        assertInvalidArgument("relu backward") {
            try relu.encodeReLUBackward(into: stream, outputGradient: small, mask: big, inputGradient: big, count: 100)
        }
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
