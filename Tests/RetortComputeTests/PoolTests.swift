import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

/// An `[N, C, H, W]` test shape.
private typealias PoolShape = NCHWShape

private extension NCHWShape {
    /// Every combination of N ∈ {1, 3}, C ∈ {1, 5, 16}, H, W ∈ {1, 7, 8, 13}, plus a larger odd plane
    /// and planes whose rows hold several blocks of 8 (the 2×2 fast paths).
    static let all: [PoolShape] = {
        var shapes: [PoolShape] = []
        for n in [1, 3] {
            for c in [1, 5, 16] {
                for h in [1, 7, 8, 13] {
                    for w in [1, 7, 8, 13] { shapes.append(PoolShape(n: n, c: c, h: h, w: w)) }
                }
            }
        }
        return shapes + [PoolShape(n: 2, c: 3, h: 33, w: 35), PoolShape(n: 2, c: 3, h: 9, w: 24), PoolShape(n: 2, c: 3, h: 10, w: 16)]
    }()
}

private typealias Window = PoolLauncher.Window

/// Windows both max and average pooling take (no dilation).
private let plainWindows: [Window] = [
    Window(kernel: 2),
    Window(kernel: 3, stride: 2, padding: 1),
    Window(kernel: 3, stride: 1, padding: 1),
    Window(kernel: 2, stride: 3),
    Window(kernelHeight: 2, kernelWidth: 3, strideHeight: 1, strideWidth: 2, paddingHeight: 1, paddingWidth: 1),
]

/// Windows for max pooling: the plain ones and dilated ones.
private let maxWindows: [Window] = plainWindows + [
    Window(kernel: 3, stride: 2, padding: 1, dilation: 2),
    Window(kernelHeight: 2, kernelWidth: 3, strideHeight: 3, strideWidth: 1, paddingHeight: 0, paddingWidth: 1, dilationHeight: 3, dilationWidth: 1),
]

/// `count` distinct values in [-1, 1), shuffled: max pooling has no ties to break.
private func distinctValues(_ count: Int, _ random: inout TestRandom) -> [Float] {
    (0..<count).map { Float(2 * $0) / Float(count) - 1 }.shuffled(using: &random)
}

final class PoolingTests: DeviceTestCase {
    func testMaxPoolingForwardAndBackwardMatchTheCPU() throws {
        let pooling = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 31)
        var checked = 0
        for s in PoolShape.all {
            let x = distinctValues(s.count, &random)
            let input = try device.makeBuffer(x)
            for window in maxWindows {
                guard let (oh, ow) = window.outputSize(height: s.h, width: s.w) else { continue }
                let outputs = s.planes * oh * ow
                let dy = random.floats(outputs)
                let y = try device.makeBuffer(byteCount: outputs * 4), indices = try device.makeBuffer(byteCount: outputs * 4)
                let dx = try device.makeBuffer(byteCount: s.count * 4)
                try pooling.encodeMaxForward(into: stream, input: input, output: y, indices: indices,
                                             batch: s.n, channels: s.c, height: s.h, width: s.w, window: window)
                try pooling.encodeMaxBackward(into: stream, outputGradient: try device.makeBuffer(dy), indices: indices, inputGradient: dx,
                                              batch: s.n, channels: s.c, height: s.h, width: s.w, window: window)
                try stream.run()
                let expected = PoolOracle.maxForward(x, s, window)
                XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self, count: outputs), expected.y), 1e-4, "y, x: \(s), \(window)")
                XCTAssertEqual(try indices.read(Int32.self, count: outputs), expected.indices, "indices, x: \(s), \(window)")
                let expectedDx = PoolOracle.maxBackward(dy, indices: expected.indices, s, outputsPerPlane: oh * ow)
                XCTAssertLessThanOrEqual(maxRelativeError(try dx.read(Float.self, count: s.count), expectedDx), 1e-4, "dx, x: \(s), \(window)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 400)
    }

    /// A window whose padding is all of it at the border: padding must never win, even over
    /// negative values.
    func testMaxPoolingPaddingIsMinusInfinity() throws {
        let pooling = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        let x: [Float] = [-5, -4, -3, -2, -1, -6]   // [1, 1, 2, 3]
        let window = Window(kernel: 2, stride: 1, padding: 1)   // output [1, 1, 3, 4]
        let y = try device.makeBuffer(byteCount: 12 * 4), indices = try device.makeBuffer(byteCount: 12 * 4)
        try pooling.encodeMaxForward(into: stream, input: try device.makeBuffer(x), output: y, indices: indices,
                                     batch: 1, channels: 1, height: 2, width: 3, window: window)
        try stream.run()
        XCTAssertEqual(try y.read(Float.self, count: 12), [-5, -4, -3, -3, -2, -1, -1, -3, -2, -1, -1, -6])
        XCTAssertEqual(try indices.read(Int32.self, count: 12), [0, 1, 2, 2, 3, 4, 4, 2, 3, 4, 4, 5])
    }

    func testAveragePoolingForwardAndBackwardMatchTheCPU() throws {
        let pooling = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 32)
        var checked = 0
        for s in PoolShape.all {
            let x = random.floats(s.count)
            let input = try device.makeBuffer(x)
            for window in plainWindows {
                guard let (oh, ow) = window.outputSize(height: s.h, width: s.w) else { continue }
                for countIncludesPadding in [true, false] {
                    let outputs = s.planes * oh * ow
                    let dy = random.floats(outputs)
                    let y = try device.makeBuffer(byteCount: outputs * 4), dx = try device.makeBuffer(byteCount: s.count * 4)
                    try pooling.encodeAverageForward(into: stream, input: input, output: y, batch: s.n, channels: s.c, height: s.h, width: s.w,
                                                     window: window, countIncludesPadding: countIncludesPadding)
                    try pooling.encodeAverageBackward(into: stream, outputGradient: try device.makeBuffer(dy), inputGradient: dx,
                                                      batch: s.n, channels: s.c, height: s.h, width: s.w, window: window,
                                                      countIncludesPadding: countIncludesPadding)
                    try stream.run()
                    let what = "x: \(s), \(window), count_include_pad \(countIncludesPadding)"
                    XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self, count: outputs),
                                                              PoolOracle.averageForward(x, s, window,
                                                                                        countIncludesPadding: countIncludesPadding)),
                                             1e-4, "y, \(what)")
                    XCTAssertLessThanOrEqual(maxRelativeError(try dx.read(Float.self, count: s.count),
                                                              PoolOracle.averageBackward(dy, s, window,
                                                                                         countIncludesPadding: countIncludesPadding)),
                                             1e-4, "dx, \(what)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 400)
    }

    func testGlobalAveragePoolingMatchesTheCPU() throws {
        let pooling = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 33)
        for s in PoolShape.all + [PoolShape(n: 64, c: 9, h: 4, w: 4)] {
            let x = random.floats(s.count), dy = random.floats(s.planes)
            let y = try device.makeBuffer(byteCount: s.planes * 4), dx = try device.makeBuffer(byteCount: s.count * 4)
            try pooling.encodeGlobalAverageForward(into: stream, input: try device.makeBuffer(x), output: y, batch: s.n, channels: s.c, height: s.h, width: s.w)
            try pooling.encodeGlobalAverageBackward(into: stream, outputGradient: try device.makeBuffer(dy), inputGradient: dx,
                                                    batch: s.n, channels: s.c, height: s.h, width: s.w)
            try stream.run()
            XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self, count: s.planes), PoolOracle.globalAverageForward(x, s)), 1e-4,
                                     "y, x: \(s)")
            XCTAssertLessThanOrEqual(maxRelativeError(try dx.read(Float.self, count: s.count), PoolOracle.globalAverageBackward(dy, s)),
                                     1e-4, "dx, x: \(s)")
        }
    }

    /// Average pooling whose window is the whole plane (routed to the global kernels) against the CPU.
    func testAveragePoolingOverTheWholePlaneMatchesTheCPU() throws {
        let pooling = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 37)
        for (s, window) in [(PoolShape(n: 3, c: 5, h: 8, w: 8), Window(kernel: 8)), (PoolShape(n: 2, c: 3, h: 7, w: 13), Window(kernelHeight: 7, kernelWidth: 13, strideHeight: 1, strideWidth: 1))] {
            let x = random.floats(s.count), dy = random.floats(s.planes)
            let y = try device.makeBuffer(byteCount: s.planes * 4), dx = try device.makeBuffer(byteCount: s.count * 4)
            try pooling.encodeAverageForward(into: stream, input: try device.makeBuffer(x), output: y, batch: s.n, channels: s.c, height: s.h, width: s.w, window: window)
            try pooling.encodeAverageBackward(into: stream, outputGradient: try device.makeBuffer(dy), inputGradient: dx,
                                              batch: s.n, channels: s.c, height: s.h, width: s.w, window: window)
            try stream.run()
            let expectedY = PoolOracle.averageForward(x, s, window, countIncludesPadding: true)
            XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self, count: s.planes), expectedY), 1e-4, "y, x: \(s), \(window)")
            let expectedDx = PoolOracle.averageBackward(dy, s, window, countIncludesPadding: true)
            XCTAssertLessThanOrEqual(maxRelativeError(try dx.read(Float.self, count: s.count), expectedDx), 1e-4, "dx, x: \(s), \(window)")
        }
    }

    // MARK: Finite differences

    /// Checks a backward pass against central differences of the device forward: L = Σ w ⊙ f(x),
    /// `forward` writes f(input) into its output buffer and returns it.
    private func checkFiniteDifferences(_ what: String, x: [Float], input: Buffer, gradient: [Float], w: [Float], h: Float,
                                        indices: [Int], forward: () throws -> [Float]) throws {
        func loss() throws -> Double { zip(try forward(), w).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
        for index in indices {
            var plus = x, minus = x
            plus[index] += h
            minus[index] -= h
            try input.write(plus)
            let lossPlus = try loss()
            try input.write(minus)
            let lossMinus = try loss()
            try input.write(x)
            let numeric = (lossPlus - lossMinus) / Double(plus[index] - minus[index])
            XCTAssertLessThanOrEqual(abs(numeric - Double(gradient[index])), 1e-2 * max(1, abs(numeric)),
                                     "\(what): dx[\(index)] finite difference \(numeric), backward \(gradient[index])")
        }
    }

    func testMaxPoolingBackwardMatchesFiniteDifferences() throws {
        let pooling = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 34)
        for (s, window) in [(PoolShape(n: 2, c: 3, h: 7, w: 8), Window(kernel: 3, stride: 2, padding: 1)),
                            (PoolShape(n: 2, c: 3, h: 7, w: 8), Window(kernel: 2, stride: 1, dilation: 2)),
                            (PoolShape(n: 2, c: 3, h: 6, w: 16), Window(kernel: 2))] {
            let (oh, ow) = window.outputSize(height: s.h, width: s.w)!
            let outputs = s.planes * oh * ow
            // Distinct values 2/count apart and a step of a quarter of that: no argmax changes.
            let x = distinctValues(s.count, &random), w = random.floats(outputs)
            let input = try device.makeBuffer(x)
            let y = try device.makeBuffer(byteCount: outputs * 4), indices = try device.makeBuffer(byteCount: outputs * 4)
            let dx = try device.makeBuffer(byteCount: s.count * 4)
            func forward() throws -> [Float] {
                try pooling.encodeMaxForward(into: stream, input: input, output: y, indices: indices, batch: s.n, channels: s.c, height: s.h, width: s.w, window: window)
                try stream.run()
                return try y.read(Float.self, count: outputs)
            }
            _ = try forward()
            try pooling.encodeMaxBackward(into: stream, outputGradient: try device.makeBuffer(w), indices: indices, inputGradient: dx,
                                          batch: s.n, channels: s.c, height: s.h, width: s.w, window: window)
            try stream.run()
            let gradient = try dx.read(Float.self, count: s.count)
            // Half the samples where the gradient is non-zero, half anywhere.
            let winners = try indices.read(Int32.self, count: outputs).enumerated().map { $0.offset / (oh * ow) * s.h * s.w + Int($0.element) }
            let samples = (0..<5).map { _ in winners.randomElement(using: &random)! } + (0..<5).map { _ in Int.random(in: 0..<s.count, using: &random) }
            try checkFiniteDifferences("max pooling, x: \(s), \(window)", x: x, input: input, gradient: gradient, w: w,
                                       h: 0.5 / Float(s.count), indices: samples, forward: forward)
        }
    }

    func testAveragePoolingBackwardMatchesFiniteDifferences() throws {
        let pooling = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 35)
        let s = PoolShape(n: 2, c: 3, h: 7, w: 8)
        let window = Window(kernel: 3, stride: 2, padding: 1)
        let (oh, ow) = window.outputSize(height: s.h, width: s.w)!
        let outputs = s.planes * oh * ow
        for countIncludesPadding in [true, false] {
            let x = random.floats(s.count), w = random.floats(outputs)
            let input = try device.makeBuffer(x)
            let y = try device.makeBuffer(byteCount: outputs * 4), dx = try device.makeBuffer(byteCount: s.count * 4)
            try pooling.encodeAverageBackward(into: stream, outputGradient: try device.makeBuffer(w), inputGradient: dx,
                                              batch: s.n, channels: s.c, height: s.h, width: s.w, window: window, countIncludesPadding: countIncludesPadding)
            try stream.run()
            let samples = (0..<10).map { _ in Int.random(in: 0..<s.count, using: &random) } + [0, s.w - 1, s.count - 1]
            try checkFiniteDifferences("average pooling, x: \(s), \(window), count_include_pad \(countIncludesPadding)", x: x, input: input,
                                       gradient: try dx.read(Float.self, count: s.count), w: w, h: 1e-2, indices: samples) {
                try pooling.encodeAverageForward(into: stream, input: input, output: y, batch: s.n, channels: s.c, height: s.h, width: s.w,
                                                 window: window, countIncludesPadding: countIncludesPadding)
                try stream.run()
                return try y.read(Float.self, count: outputs)
            }
        }
    }

    func testGlobalAveragePoolingBackwardMatchesFiniteDifferences() throws {
        let pooling = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 36)
        for s in [PoolShape(n: 3, c: 5, h: 7, w: 7), PoolShape(n: 2, c: 3, h: 4, w: 8)] {
            let x = random.floats(s.count), w = random.floats(s.planes)
            let input = try device.makeBuffer(x)
            let y = try device.makeBuffer(byteCount: s.planes * 4), dx = try device.makeBuffer(byteCount: s.count * 4)
            try pooling.encodeGlobalAverageBackward(into: stream, outputGradient: try device.makeBuffer(w), inputGradient: dx,
                                                    batch: s.n, channels: s.c, height: s.h, width: s.w)
            try stream.run()
            let samples = (0..<10).map { _ in Int.random(in: 0..<s.count, using: &random) }
            try checkFiniteDifferences("global average pooling, x: \(s)", x: x, input: input, gradient: try dx.read(Float.self, count: s.count),
                                       w: w, h: 1e-2, indices: samples) {
                try pooling.encodeGlobalAverageForward(into: stream, input: input, output: y, batch: s.n, channels: s.c, height: s.h, width: s.w)
                try stream.run()
                return try y.read(Float.self, count: s.planes)
            }
        }
    }

    // MARK: Errors

    func testBadShapesAreInvalidArguments() throws {
        let pooling = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        let big = try device.makeBuffer(byteCount: 4096), small = try device.makeBuffer(byteCount: 8)
        func assertInvalid(_ what: String, _ body: () throws -> Void) { assertInvalidArgument(what, containing: "[", body) }
        func maxPool(_ n: Int, _ c: Int, _ h: Int, _ w: Int, _ window: Window, input: Buffer? = nil, output: Buffer? = nil) throws {
            try pooling.encodeMaxForward(into: stream, input: input ?? big, output: output ?? big, indices: big,
                                         batch: n, channels: c, height: h, width: w, window: window)
        }
        assertInvalid("zero channels") { try maxPool(1, 0, 4, 4, Window(kernel: 2)) }
        assertInvalid("window larger than the input") { try maxPool(1, 1, 1, 7, Window(kernel: 2)) }
        assertInvalid("dilated window larger than the input") { try maxPool(1, 1, 4, 4, Window(kernel: 3, stride: 1, dilation: 2)) }
        assertInvalid("padding over half the kernel") { try maxPool(1, 1, 4, 4, Window(kernel: 2, stride: 1, padding: 2)) }
        assertInvalid("zero stride") { try maxPool(1, 1, 4, 4, Window(kernel: 2, stride: 0)) }
        assertInvalid("zero kernel") { try maxPool(1, 1, 4, 4, Window(kernel: 0)) }
        assertInvalid("huge stride") { try maxPool(1, 1, 4, 4, Window(kernel: 2, stride: 1 << 40)) }
        assertInvalid("huge dimensions") { try maxPool(1 << 40, 1 << 40, 4, 4, Window(kernel: 2)) }
        assertInvalid("input too small") { try maxPool(2, 2, 4, 4, Window(kernel: 2), input: small) }
        assertInvalid("output too small") { try maxPool(2, 2, 4, 4, Window(kernel: 2), output: small) }
        assertInvalid("max backward indices too small") {
            try pooling.encodeMaxBackward(into: stream, outputGradient: big, indices: small, inputGradient: big,
                                          batch: 2, channels: 2, height: 4, width: 4, window: Window(kernel: 2))
        }
        assertInvalid("average pooling with dilation") {
            try pooling.encodeAverageForward(into: stream, input: big, output: big, batch: 1, channels: 1, height: 8, width: 8,
                                             window: Window(kernel: 2, dilation: 2))
        }
        assertInvalid("average backward gradient too small") {
            try pooling.encodeAverageBackward(into: stream, outputGradient: big, inputGradient: small, batch: 1, channels: 2, height: 4, width: 4,
                                              window: Window(kernel: 2))
        }
        assertInvalid("global pooling output too small") {
            try pooling.encodeGlobalAverageForward(into: stream, input: big, output: small, batch: 3, channels: 1, height: 2, width: 2)
        }
        assertInvalid("global pooling negative height") {
            try pooling.encodeGlobalAverageBackward(into: stream, outputGradient: big, inputGradient: big, batch: 1, channels: 1, height: -1, width: 2)
        }
        XCTAssertEqual(stream.dispatchCount, 0)
    }

    func testOutputSizeFollowsPyTorch() {
        let size = Window(kernel: 3, stride: 2, padding: 1).outputSize(height: 32, width: 7)
        XCTAssertEqual(size?.height, 16)
        XCTAssertEqual(size?.width, 4)
        let dilated = Window(kernel: 3, stride: 1, padding: 1, dilation: 2).outputSize(height: 8, width: 8)
        XCTAssertEqual(dilated?.height, 6)
        XCTAssertNil(Window(kernel: 2).outputSize(height: 1, width: 8))
        XCTAssertNil(Window(kernel: 2, dilation: Int.max).outputSize(height: 8, width: 8))
        XCTAssertNil(Window(kernel: 2, stride: 0).outputSize(height: 8, width: 8))
    }
}
