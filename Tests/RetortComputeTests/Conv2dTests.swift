import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

/// Conv2d forward, backward data and backward filter against Double CPU references and against
/// finite differences of the device forward.
final class Conv2dTests: DeviceTestCase {
    typealias Parameters = Conv2dLauncher.Parameters

    /// Shapes covering odd sizes, strides 1–2, padding 0–2, dilation 2, groups 1/2/depthwise,
    /// 1×1, 3×3, 5×5 and non-square kernels, batch 1 and 3, with and without bias, the RGBA32F row
    /// path (width % 4 == 0) and the split weight-gradient reduction. Each is well under 10⁸ FLOP.
    static let shapes: [Parameters] = [
        Parameters(batch: 1, inChannels: 3, outChannels: 5, height: 7, width: 7, kernelSize: 3, padding: 1),
        Parameters(batch: 3, inChannels: 4, outChannels: 6, height: 9, width: 11, kernelSize: 3, stride: 2, padding: 1, bias: false),
        Parameters(batch: 2, inChannels: 6, outChannels: 4, height: 8, width: 8, kernelSize: 3, padding: 1, groups: 2),
        Parameters(batch: 3, inChannels: 8, outChannels: 8, height: 12, width: 12, kernelSize: 3, padding: 1, groups: 8),
        Parameters(batch: 3, inChannels: 6, outChannels: 6, height: 9, width: 9, kernelSize: 3, stride: 2, padding: 1, groups: 6, bias: false),
        Parameters(batch: 3, inChannels: 16, outChannels: 16, height: 7, width: 7, kernelSize: 3, padding: 1, groups: 16),
        Parameters(batch: 2, inChannels: 4, outChannels: 8, height: 10, width: 10, kernelSize: 3, padding: 1, groups: 4, bias: false),
        Parameters(batch: 3, inChannels: 16, outChannels: 8, height: 8, width: 8, kernelSize: 1),
        Parameters(batch: 3, inChannels: 5, outChannels: 7, height: 7, width: 7, kernelSize: 1, stride: 2, bias: false),
        Parameters(batch: 1, inChannels: 3, outChannels: 4, height: 13, width: 13, kernelSize: 5, padding: 2),
        Parameters(batch: 2, inChannels: 4, outChannels: 3, height: 10, width: 12, kernelSize: 3, padding: 2, dilation: 2),
        Parameters(batch: 1, inChannels: 2, outChannels: 3, height: 6, width: 10, kernelSize: 3, bias: false),
        Parameters(batch: 3, inChannels: 33, outChannels: 17, height: 16, width: 16, kernelSize: 3, padding: 1),
        Parameters(batch: 1, inChannels: 16, outChannels: 16, height: 32, width: 32, kernelSize: 3, padding: 1, bias: false),
        Parameters(batch: 1, inChannels: 2, outChannels: 3, height: 5, width: 130, kernelSize: 3, padding: 1),
        Parameters(batch: 3, inChannels: 1, outChannels: 2, height: 33, width: 33, kernelSize: 3, padding: 1),
        Parameters(batch: 1, inChannels: 1, outChannels: 1, height: 1, width: 1, kernelSize: 1),
        Parameters(batch: 2, inChannels: 4, outChannels: 4, height: 9, width: 8, kernelHeight: 1, kernelWidth: 3,
                   strideHeight: 2, strideWidth: 1, paddingHeight: 0, paddingWidth: 1, groups: 2),
        Parameters(batch: 3, inChannels: 4, outChannels: 8, height: 11, width: 9, kernelHeight: 5, kernelWidth: 3,
                   strideHeight: 1, strideWidth: 2, paddingHeight: 2, paddingWidth: 0, dilationHeight: 1, dilationWidth: 2),
    ]

    func testForwardMatchesTheCPU() throws { try assertMatchesTheCPU(.forward, Self.shapes, algorithm: .direct, seed: 21) }
    func testBackwardDataMatchesTheCPU() throws { try assertMatchesTheCPU(.backwardData, Self.shapes, algorithm: .direct, seed: 22) }
    func testBackwardFilterMatchesTheCPU() throws { try assertMatchesTheCPU(.backwardFilter, Self.shapes, algorithm: .direct, seed: 23) }

    /// The split reduction (partials in a workspace, then a second pass) gives the same bits on
    /// every run, with an allocated or a caller's workspace.
    /// Pointwise convolutions through both routes: the GEMM route (GPUs) and the convolution
    /// kernels (lavapipe), whichever this device picks by default.
    func testPointwiseRoutesMatchTheCPU() throws {
        var random = TestRandom(seed: 24)
        let stream = try device.makeStream()
        let shapes = Self.shapes.filter(\.isPointwise) + [Parameters(batch: 2, inChannels: 9, outChannels: 6, height: 5, width: 7, kernelSize: 1)]
        XCTAssertGreaterThanOrEqual(shapes.count, 3)
        for prm in shapes {
            let x = random.floats(prm.inputShape.reduce(1, *)), w = random.floats(prm.weightShape.reduce(1, *))
            let dy = random.floats(prm.outputShape.reduce(1, *)), b = prm.hasBias ? random.floats(prm.outChannels) : nil
            let expectedY = Conv2dOracle.forward(prm, x: x, w: w, b: b)
            let expectedDx = Conv2dOracle.backwardData(prm, dy: dy, w: w)
            let expectedDw = Conv2dOracle.backwardFilter(prm, x: x, dy: dy)
            for gemm in [false, true] {
                let conv = try Conv2dLauncher(device: device, parameters: prm, pointwiseAsGEMM: gemm)
                let y = try device.makeBuffer(byteCount: prm.outputShape.reduce(1, *) * 4)
                let dx = try device.makeBuffer(byteCount: prm.inputShape.reduce(1, *) * 4)
                let dw = try device.makeBuffer(byteCount: prm.weightShape.reduce(1, *) * 4)
                let db = prm.hasBias ? try device.makeBuffer(byteCount: prm.outChannels * 4) : nil
                let bx = try device.makeBuffer(x), bw = try device.makeBuffer(w), bdy = try device.makeBuffer(dy)
                try conv.encodeForward(into: stream, input: bx, weight: bw, bias: try b.map { try device.makeBuffer($0) }, output: y)
                try conv.encodeBackwardData(into: stream, outputGradient: bdy, weight: bw, inputGradient: dx)
                try conv.encodeBackwardFilter(into: stream, input: bx, outputGradient: bdy, weightGradient: dw, biasGradient: db)
                try stream.run()
                let route = gemm ? "GEMM" : "kernels"
                XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self), expectedY), 1e-4, "y \(route) \(prm)")
                XCTAssertLessThanOrEqual(maxRelativeError(try dx.read(Float.self), expectedDx), 1e-4, "dx \(route) \(prm)")
                XCTAssertLessThanOrEqual(maxRelativeError(try dw.read(Float.self), expectedDw.dw), 1e-4, "dw \(route) \(prm)")
                if let db { XCTAssertLessThanOrEqual(maxRelativeError(try db.read(Float.self), expectedDw.db), 1e-4, "db \(route) \(prm)") }
            }
        }
    }

    func testBackwardFilterIsDeterministicAndUsesTheWorkspace() throws {
        let prm = Parameters(batch: 3, inChannels: 1, outChannels: 2, height: 33, width: 33, kernelSize: 3, padding: 1)
        let conv = try Conv2dLauncher(device: device, parameters: prm, algorithm: .direct)
        XCTAssertGreaterThan(conv.backwardFilterWorkspaceByteCount, 0, "this shape is meant to split the reduction")
        var random = TestRandom(seed: 24)
        let x = try device.makeBuffer(random.floats(prm.inputShape.reduce(1, *)))
        let dy = try device.makeBuffer(random.floats(prm.outputShape.reduce(1, *)))
        let stream = try device.makeStream()
        var results: [[UInt32]] = []
        for run in 0..<3 {
            let dw = try device.makeBuffer(byteCount: prm.weightShape.reduce(1, *) * 4)
            let db = try device.makeBuffer(byteCount: prm.outChannels * 4)
            let workspace = run == 2 ? try device.makeBuffer(byteCount: conv.backwardFilterWorkspaceByteCount) : nil
            try conv.encodeBackwardFilter(into: stream, input: x, outputGradient: dy, weightGradient: dw, biasGradient: db, workspace: workspace)
            try stream.run()
            results.append(try dw.read(UInt32.self) + db.read(UInt32.self))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
        let small = try device.makeBuffer(byteCount: 4)
        XCTAssertThrowsError(try conv.encodeBackwardFilter(into: stream, input: x, outputGradient: dy,
                                                           weightGradient: try device.makeBuffer(byteCount: 18 * 4),
                                                           biasGradient: try device.makeBuffer(byteCount: 8), workspace: small))
    }

    /// Central differences of L = Σ r ⊙ conv(x, w, b) (the forward run on the device) against the
    /// backward kernels with dy = r, on sampled elements of x, w and b.
    func testGradientsMatchFiniteDifferences() throws {
        let cases = [
            Parameters(batch: 2, inChannels: 4, outChannels: 6, height: 7, width: 9, kernelSize: 3, stride: 2, padding: 1, groups: 2),
            Parameters(batch: 3, inChannels: 5, outChannels: 5, height: 8, width: 8, kernelSize: 3, padding: 2, dilation: 2, groups: 5),
            Parameters(batch: 1, inChannels: 3, outChannels: 4, height: 6, width: 7, kernelSize: 5, padding: 2),
        ]
        var random = TestRandom(seed: 25)
        let stream = try device.makeStream()
        for prm in cases {
            let conv = try Conv2dLauncher(device: device, parameters: prm, algorithm: .direct)
            // x, w, b: the tensors the loss depends on (perturbed one element at a time).
            var tensors = [random.floats(prm.inputShape.reduce(1, *)), random.floats(prm.weightShape.reduce(1, *)),
                           random.floats(prm.outChannels)]
            let r = random.floats(prm.outputShape.reduce(1, *))
            let buffers = try tensors.map { try device.makeBuffer($0) }
            let y = try device.makeBuffer(byteCount: r.count * 4)
            func loss() throws -> Double {
                for (buffer, values) in zip(buffers, tensors) { try buffer.write(values) }
                try conv.encodeForward(into: stream, input: buffers[0], weight: buffers[1], bias: buffers[2], output: y)
                try stream.run()
                return zip(try y.read(Float.self), r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }

            let rBuffer = try device.makeBuffer(r)
            let gradients = try tensors.map { try device.makeBuffer(byteCount: $0.count * 4) }
            try conv.encodeBackwardData(into: stream, outputGradient: rBuffer, weight: buffers[1], inputGradient: gradients[0])
            try conv.encodeBackwardFilter(into: stream, input: buffers[0], outputGradient: rBuffer, weightGradient: gradients[1],
                                          biasGradient: gradients[2])
            try stream.run()

            let h: Float = 1e-2
            for (which, name) in ["x", "w", "b"].enumerated() {
                let analytic = try gradients[which].read(Float.self)
                for _ in 0..<5 {
                    let i = Int(random.next() % UInt64(analytic.count))
                    let saved = tensors[which][i]
                    tensors[which][i] = saved + h
                    let plus = try loss()
                    tensors[which][i] = saved - h
                    let minus = try loss()
                    tensors[which][i] = saved
                    let numeric = (plus - minus) / Double(2 * h)
                    XCTAssertLessThanOrEqual(abs(numeric - Double(analytic[i])) / max(1, abs(numeric)), 1e-2,
                                             "d\(name)[\(i)]: finite difference \(numeric), kernel \(analytic[i]) — \(prm)")
                }
            }
        }
    }

    func testBadShapesAreInvalidArguments() throws {
        func assertInvalid(_ prm: Parameters, _ hint: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try Conv2dLauncher(device: device, parameters: prm), hint, file: file, line: line) { error in
                guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)", file: file, line: line) }
                XCTAssert(message.contains("conv2d x["), "message should name the shapes: \(message)", file: file, line: line)
            }
        }
        assertInvalid(Parameters(batch: 1, inChannels: 6, outChannels: 4, height: 8, width: 8, kernelSize: 3, groups: 4), "groups must divide channels")
        assertInvalid(Parameters(batch: 0, inChannels: 3, outChannels: 4, height: 8, width: 8, kernelSize: 3), "empty batch")
        assertInvalid(Parameters(batch: 1, inChannels: 3, outChannels: 4, height: 4, width: 4, kernelSize: 5), "kernel larger than the input")
        assertInvalid(Parameters(batch: 1, inChannels: 3, outChannels: 4, height: 8, width: 8, kernelSize: 3, dilation: 4), "dilated kernel too large")
        assertInvalid(Parameters(batch: 1, inChannels: 3, outChannels: 4, height: 8, width: 8, kernelSize: 3, padding: -1), "negative padding")
        assertInvalid(Parameters(batch: 1, inChannels: 3, outChannels: 4, height: 8, width: 8, kernelSize: 3, stride: 0), "zero stride")

        let prm = Parameters(batch: 2, inChannels: 3, outChannels: 4, height: 8, width: 8, kernelSize: 3, padding: 1)
        let conv = try Conv2dLauncher(device: device, parameters: prm, algorithm: .direct)
        let stream = try device.makeStream()
        let x = try device.makeBuffer(byteCount: 2 * 3 * 64 * 4), w = try device.makeBuffer(byteCount: 4 * 3 * 9 * 4)
        let b = try device.makeBuffer(byteCount: 16), y = try device.makeBuffer(byteCount: 2 * 4 * 64 * 4)
        let short = try device.makeBuffer(byteCount: 2 * 4 * 64 * 4 - 4), tiny = try device.makeBuffer(byteCount: 64)
        func assertInvalid(_ body: () throws -> Void, _ hint: String, file: StaticString = #filePath, line: UInt = #line) {
            assertInvalidArgument(hint, body, file: file, line: line)
        }
        assertInvalid({ try conv.encodeForward(into: stream, input: x, weight: w, bias: b, output: short) }, "output too small")
        assertInvalid({ try conv.encodeForward(into: stream, input: tiny, weight: w, bias: b, output: y) }, "input too small")
        assertInvalid({ try conv.encodeForward(into: stream, input: x, weight: w, bias: nil, output: y) }, "missing bias")
        assertInvalid({ try conv.encodeBackwardData(into: stream, outputGradient: y, weight: b, inputGradient: x) }, "weight too small")
        assertInvalid({ try conv.encodeBackwardFilter(into: stream, input: x, outputGradient: short, weightGradient: w, biasGradient: b) },
                      "dy too small")
        let noBias = try Conv2dLauncher(device: device, parameters: Parameters(batch: 2, inChannels: 3, outChannels: 4, height: 8, width: 8,
                                                                       kernelSize: 3, padding: 1, bias: false))
        assertInvalid({ try noBias.encodeForward(into: stream, input: x, weight: w, bias: b, output: y) }, "bias without hasBias")
        assertInvalid({ try noBias.encodeBackwardFilter(into: stream, input: x, outputGradient: y, weightGradient: w, biasGradient: b) },
                      "bias gradient without hasBias")
        XCTAssertEqual(stream.dispatchCount, 0, "nothing may be recorded for rejected calls")
    }

    func testOutputSizeFollowsPyTorch() {
        // torch.nn.Conv2d(…)(torch.zeros(1, 1, H, W)).shape
        XCTAssertEqual(Parameters(batch: 1, inChannels: 1, outChannels: 1, height: 32, width: 32, kernelSize: 3, padding: 1).outputShape, [1, 1, 32, 32])
        XCTAssertEqual(Parameters(batch: 1, inChannels: 1, outChannels: 1, height: 32, width: 31, kernelSize: 3, stride: 2, padding: 1).outputShape,
                       [1, 1, 16, 16])
        XCTAssertEqual(Parameters(batch: 1, inChannels: 1, outChannels: 1, height: 7, width: 8, kernelSize: 1, stride: 2).outputShape, [1, 1, 4, 4])
        XCTAssertEqual(Parameters(batch: 1, inChannels: 1, outChannels: 1, height: 10, width: 10, kernelSize: 3, padding: 2, dilation: 2).outputShape,
                       [1, 1, 10, 10])
        XCTAssertEqual(Parameters(batch: 1, inChannels: 1, outChannels: 1, height: 5, width: 5, kernelSize: 5, stride: 3).outputShape, [1, 1, 1, 1])
    }
}

/// A pass of a convolution.
enum Conv2dPass { case forward, backwardData, backwardFilter }

extension DeviceTestCase {
    /// Runs `pass` of every shape with `algorithm` and compares it with the Double reference (max relative
    /// error ≤ `tolerance`; the bias gradient ≤ 1e-4). Outputs start as NaN, so every element must be written.
    func assertMatchesTheCPU(_ pass: Conv2dPass, _ shapes: [Conv2dLauncher.Parameters], algorithm: Conv2dLauncher.Algorithm,
                             seed: UInt64, tolerance: Double = 1e-4, file: StaticString = #filePath, line: UInt = #line) throws {
        var random = TestRandom(seed: seed)
        let stream = try device.makeStream()
        for prm in shapes {
            let conv = try Conv2dLauncher(device: device, parameters: prm, algorithm: algorithm)
            XCTAssertEqual(conv.algorithm, algorithm, file: file, line: line)
            let x = random.floats(prm.inputShape.reduce(1, *)), w = random.floats(prm.weightShape.reduce(1, *))
            let dy = random.floats(prm.outputShape.reduce(1, *)), b = prm.hasBias ? random.floats(prm.outChannels) : nil
            func poisoned(_ shape: [Int]) throws -> Buffer { try device.makeBuffer([Float](repeating: .nan, count: shape.reduce(1, *))) }
            let output = try poisoned(pass == .forward ? prm.outputShape : pass == .backwardData ? prm.inputShape : prm.weightShape)
            let db = pass == .backwardFilter && prm.hasBias ? try poisoned([prm.outChannels]) : nil
            switch pass {
            case .forward:
                try conv.encodeForward(into: stream, input: try device.makeBuffer(x), weight: try device.makeBuffer(w),
                                       bias: try b.map { try device.makeBuffer($0) }, output: output)
            case .backwardData:
                try conv.encodeBackwardData(into: stream, outputGradient: try device.makeBuffer(dy), weight: try device.makeBuffer(w),
                                            inputGradient: output)
            case .backwardFilter:
                try conv.encodeBackwardFilter(into: stream, input: try device.makeBuffer(x), outputGradient: try device.makeBuffer(dy),
                                              weightGradient: output, biasGradient: db)
            }
            try stream.run()
            let expected: [Double]
            switch pass {
            case .forward: expected = Conv2dOracle.forward(prm, x: x, w: w, b: b)
            case .backwardData: expected = Conv2dOracle.backwardData(prm, dy: dy, w: w)
            case .backwardFilter: expected = Conv2dOracle.backwardFilter(prm, x: x, dy: dy).dw
            }
            XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), expected), tolerance, "\(pass) \(prm)",
                                     file: file, line: line)
            if let db {
                XCTAssertLessThanOrEqual(maxRelativeError(try db.read(Float.self), Conv2dOracle.backwardFilter(prm, x: x, dy: dy).db), 1e-4,
                                         "bias gradient \(prm)", file: file, line: line)
            }
        }
    }
}
