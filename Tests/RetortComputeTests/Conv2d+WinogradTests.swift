import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

/// Winograd convolutions (F(4×4, 3×3) and F(2×2, 3×3)) against the Double CPU references: forward,
/// backward data, backward filter, the algorithm choice and the shared workspace.
final class Conv2dWinogradTests: DeviceTestCase {
    typealias Parameters = Conv2dLauncher.Parameters

    /// 3×3, stride 1: both tile sizes (8×8 and smaller maps take T = 2), padding 0–2, channel counts
    /// that are not multiples of 4, widths that are not (the R32F row path), ragged tiles, batch 1–3.
    static let shapes: [Parameters] = [
        Parameters(batch: 2, inChannels: 16, outChannels: 16, height: 32, width: 32, kernelSize: 3, padding: 1),
        Parameters(batch: 3, inChannels: 5, outChannels: 7, height: 8, width: 8, kernelSize: 3, padding: 1),
        Parameters(batch: 1, inChannels: 17, outChannels: 33, height: 16, width: 16, kernelSize: 3, padding: 1, bias: false),
        Parameters(batch: 2, inChannels: 3, outChannels: 4, height: 13, width: 11, kernelSize: 3, padding: 1),
        Parameters(batch: 1, inChannels: 4, outChannels: 5, height: 10, width: 12, kernelSize: 3, padding: 0),
        Parameters(batch: 2, inChannels: 6, outChannels: 3, height: 7, width: 9, kernelSize: 3, padding: 2, bias: false),
        Parameters(batch: 1, inChannels: 8, outChannels: 8, height: 28, width: 28, kernelSize: 3, padding: 1),
        Parameters(batch: 3, inChannels: 1, outChannels: 2, height: 5, width: 5, kernelSize: 3, padding: 1),
        Parameters(batch: 1, inChannels: 2, outChannels: 3, height: 3, width: 3, kernelSize: 3, padding: 0),
    ]

    private func winograd(_ prm: Parameters) throws -> Conv2dLauncher {
        let conv = try Conv2dLauncher(device: device, parameters: prm, algorithm: .winograd)
        XCTAssertEqual(conv.algorithm, .winograd)
        return conv
    }

    func testForwardMatchesTheCPU() throws { try assertMatchesTheCPU(.forward, Self.shapes, algorithm: .winograd, seed: 31) }
    func testBackwardDataMatchesTheCPU() throws { try assertMatchesTheCPU(.backwardData, Self.shapes, algorithm: .winograd, seed: 32) }
    /// The weight gradient sums up to 128 tiles of transformed products (entries up to ~100× the inputs'),
    /// so the order of the GEMM's sums shows: 2×16×32×32 measured 0.97e-4 with the texel GEMM and 1.27e-4
    /// with the tiled one (`RETORT_KERNELS=gpu`).
    func testBackwardFilterMatchesTheCPU() throws {
        try assertMatchesTheCPU(.backwardFilter, Self.shapes, algorithm: .winograd, seed: 33, tolerance: 2e-4)
    }

    /// The zoo's 3×3 layers (32–256 channels at 32×32, 16×16 and 8×8, batch 2) against Double sums on
    /// 400 sampled elements of each pass. Asserts the error relative to the pass's scale (largest
    /// |reference|) ≤ 1e-4 and prints it with the worst element-wise error (|Δ| / max(1, |reference|)).
    func testZooShapesStayWithinTheBound() throws {
        var random = TestRandom(seed: 37)
        let stream = try device.makeStream()
        var report: [String] = []
        for (channels, size) in [(32, 32), (64, 32), (128, 16), (256, 8)] {
            let prm = Parameters(batch: 2, inChannels: channels, outChannels: channels, height: size, width: size, kernelSize: 3, padding: 1,
                                 bias: false)
            let x = random.floats(prm.inputShape.reduce(1, *)), w = random.floats(prm.weightShape.reduce(1, *))
            let dy = random.floats(prm.outputShape.reduce(1, *))
            let conv = try winograd(prm)
            let y = try device.makeBuffer(byteCount: prm.outputShape.reduce(1, *) * 4)
            let dx = try device.makeBuffer(byteCount: prm.inputShape.reduce(1, *) * 4)
            let dw = try device.makeBuffer(byteCount: prm.weightShape.reduce(1, *) * 4)
            let (xBuffer, wBuffer, dyBuffer) = (try device.makeBuffer(x), try device.makeBuffer(w), try device.makeBuffer(dy))
            try conv.encodeForward(into: stream, input: xBuffer, weight: wBuffer, bias: nil, output: y)
            try conv.encodeBackwardData(into: stream, outputGradient: dyBuffer, weight: wBuffer, inputGradient: dx)
            try conv.encodeBackwardFilter(into: stream, input: xBuffer, outputGradient: dyBuffer, weightGradient: dw, biasGradient: nil)
            try stream.run()
            let (c, s) = (channels, size)
            func at(_ t: [Float], _ n: Int, _ ch: Int, _ h: Int, _ col: Int) -> Double {
                h < 0 || h >= s || col < 0 || col >= s ? 0 : Double(t[((n * c + ch) * s + h) * s + col])
            }
            func weight(_ k: Int, _ ch: Int, _ i: Int, _ j: Int) -> Double { Double(w[((k * c + ch) * 3 + i) * 3 + j]) }
            // Element e of a pass → (n or k, channel, row, column); its Double value.
            let passes: [(String, [Float], (Int, Int, Int, Int) -> Double)] = [
                ("forward", try y.read(Float.self), { n, k, h, col in
                    var sum = 0.0
                    for ch in 0..<c { for i in 0..<3 { for j in 0..<3 { sum += weight(k, ch, i, j) * at(x, n, ch, h + i - 1, col + j - 1) } } }
                    return sum }),
                ("backward data", try dx.read(Float.self), { n, ch, h, col in
                    var sum = 0.0
                    for k in 0..<c { for i in 0..<3 { for j in 0..<3 { sum += weight(k, ch, i, j) * at(dy, n, k, h - i + 1, col - j + 1) } } }
                    return sum }),
                ("backward filter", try dw.read(Float.self), { k, ch, i, j in
                    var sum = 0.0
                    for n in 0..<2 { for h in 0..<s { for col in 0..<s { sum += at(dy, n, k, h, col) * at(x, n, ch, h + i - 1, col + j - 1) } } }
                    return sum }),
            ]
            for (name, actual, reference) in passes {
                let dims = name == "backward filter" ? [c, c, 3, 3] : [2, c, s, s]
                var scale = 0.0, worstAbsolute = 0.0, worstElement = 0.0
                for _ in 0..<400 {
                    let index = Int(random.next() % UInt64(actual.count))
                    let d3 = index % dims[3], d2 = index / dims[3] % dims[2], d1 = index / (dims[3] * dims[2]) % dims[1]
                    let d0 = index / (dims[3] * dims[2] * dims[1])
                    let expected = reference(d0, d1, d2, d3), error = abs(Double(actual[index]) - expected)
                    scale = max(scale, abs(expected))
                    worstAbsolute = max(worstAbsolute, error)
                    worstElement = max(worstElement, error / max(1, abs(expected)))
                }
                XCTAssertLessThanOrEqual(worstAbsolute / scale, 1e-4, "\(name) \(prm)")
                report.append("\(name) \(c)@\(s): \(String(format: "%.1e", worstAbsolute / scale)) of scale, "
                              + "\(String(format: "%.1e", worstElement)) element-wise")
            }
        }
        print("Winograd against Double sums on the zoo's 3×3 shapes: " + report.joined(separator: "; "))
    }

    /// One workspace shared by convolutions of different sizes in one batch: every result is right
    /// (the stream orders the reuse), the same inputs give the same bits, and the workspace grew to
    /// the largest need only.
    func testSharedWorkspaceIsReusedSafelyAndDeterministically() throws {
        let big = Parameters(batch: 2, inChannels: 16, outChannels: 16, height: 16, width: 16, kernelSize: 3, padding: 1)
        let small = Parameters(batch: 1, inChannels: 4, outChannels: 8, height: 8, width: 8, kernelSize: 3, padding: 1, bias: false)
        let workspace = Workspace(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 34)
        var runs: [[UInt32]] = []
        for _ in 0..<2 {
            var outputs: [(Buffer, [Double])] = []
            var generator = random
            for prm in [big, small, big] {
                let x = generator.floats(prm.inputShape.reduce(1, *)), w = generator.floats(prm.weightShape.reduce(1, *))
                let b = prm.hasBias ? generator.floats(prm.outChannels) : nil
                let y = try device.makeBuffer(byteCount: prm.outputShape.reduce(1, *) * 4)
                try winograd(prm).encodeForward(into: stream, input: try device.makeBuffer(x), weight: try device.makeBuffer(w),
                                                bias: try b.map { try device.makeBuffer($0) }, output: y, scratch: workspace)
                outputs.append((y, Conv2dOracle.forward(prm, x: x, w: w, b: b)))
            }
            try stream.run()
            for (y, expected) in outputs { XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self), expected), 1e-4) }
            runs.append(try outputs.flatMap { try $0.0.read(UInt32.self) })
        }
        _ = random.next()
        XCTAssertEqual(runs[0], runs[1], "same inputs, same bits")
        let bigPass = Conv2dLauncher.WinogradPass(batch: 2, inputChannels: 16, outputChannels: 16, height: 16, width: 16, padding: 1)
        XCTAssertLessThanOrEqual(workspace.byteCount, (bigPass.filterBytes + bigPass.inputBytes + bigPass.productBytes) * 5 / 4)
    }

    /// A batch run in chunks of one or two images (each chunk's weight-gradient products added to the
    /// previous ones) gives the same results as the CPU.
    func testChunkedBatchesMatchTheCPU() throws {
        let prm = Parameters(batch: 3, inChannels: 6, outChannels: 5, height: 12, width: 12, kernelSize: 3, padding: 1)
        var random = TestRandom(seed: 35)
        let x = random.floats(prm.inputShape.reduce(1, *)), w = random.floats(prm.weightShape.reduce(1, *))
        let b = random.floats(prm.outChannels), dy = random.floats(prm.outputShape.reduce(1, *))
        let stream = try device.makeStream()
        for images in [1, 2] {
            let perImage = Conv2dLauncher.WinogradPass(batch: 1, inputChannels: 6, outputChannels: 5, height: 12, width: 12, padding: 1)
            let winograd = try Conv2dLauncher.Winograd(device: device, parameters: prm,
                                                       cacheBytes: images * (perImage.inputBytes + perImage.productBytes))
            XCTAssertEqual(winograd.forward.chunk, images)
            let y = try device.makeBuffer(byteCount: prm.outputShape.reduce(1, *) * 4)
            let dx = try device.makeBuffer(byteCount: prm.inputShape.reduce(1, *) * 4)
            let dw = try device.makeBuffer([Float](repeating: .nan, count: prm.weightShape.reduce(1, *)))
            let (xBuffer, wBuffer, dyBuffer) = (try device.makeBuffer(x), try device.makeBuffer(w), try device.makeBuffer(dy))
            try winograd.encodeForward(stream, input: xBuffer, weight: wBuffer, bias: try device.makeBuffer(b), output: y, workspace: nil)
            try winograd.encodeBackwardData(stream, outputGradient: dyBuffer, weight: wBuffer, inputGradient: dx, workspace: nil)
            try winograd.encodeBackwardFilter(stream, input: xBuffer, outputGradient: dyBuffer, weightGradient: dw, workspace: nil)
            try stream.run()
            XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self), Conv2dOracle.forward(prm, x: x, w: w, b: b)), 1e-4)
            XCTAssertLessThanOrEqual(maxRelativeError(try dx.read(Float.self), Conv2dOracle.backwardData(prm, dy: dy, w: w)), 1e-4)
            XCTAssertLessThanOrEqual(maxRelativeError(try dw.read(Float.self), Conv2dOracle.backwardFilter(prm, x: x, dy: dy).dw), 1e-4)
        }
    }

    /// An automatic launcher computes inference forwards with Winograd and training forwards with the
    /// direct kernels; both match the CPU.
    func testInferenceAndTrainingForwardsMatchTheCPU() throws {
        let prm = Parameters(batch: 2, inChannels: 32, outChannels: 32, height: 16, width: 16, kernelSize: 3, padding: 1)
        var random = TestRandom(seed: 36)
        let x = random.floats(prm.inputShape.reduce(1, *)), w = random.floats(prm.weightShape.reduce(1, *)), b = random.floats(32)
        let conv = try Conv2dLauncher(device: device, parameters: prm)
        let stream = try device.makeStream()
        let expected = Conv2dOracle.forward(prm, x: x, w: w, b: b)
        var outputs: [[UInt32]] = []
        for inference in [true, false] {
            let y = try device.makeBuffer(byteCount: prm.outputShape.reduce(1, *) * 4)
            try conv.encodeForward(into: stream, input: try device.makeBuffer(x), weight: try device.makeBuffer(w), bias: try device.makeBuffer(b),
                                   output: y, inference: inference)
            try stream.run()
            XCTAssertLessThanOrEqual(maxRelativeError(try y.read(Float.self), expected), 1e-4, "inference \(inference)")
            outputs.append(try y.read(UInt32.self))
        }
        if conv.algorithm != conv.trainingForwardAlgorithm { XCTAssertNotEqual(outputs[0], outputs[1], "two algorithms ran") }
    }

    func testTileSizeFollowsTheImage() {
        func tile(_ size: Int) -> Int {
            Conv2dLauncher.WinogradPass(batch: 1, inputChannels: 1, outputChannels: 1, height: size, width: size, padding: 1).tile
        }
        XCTAssertEqual(tile(32), 4)
        XCTAssertEqual(tile(16), 4)
        XCTAssertEqual(tile(28), 4)
        XCTAssertEqual(tile(8), 2)
        XCTAssertEqual(tile(7), 2)
    }

    func testAlgorithmChoice() throws {
        let wide = Parameters(batch: 1, inChannels: 32, outChannels: 32, height: 8, width: 8, kernelSize: 3, padding: 1)
        let strided = Parameters(batch: 1, inChannels: 32, outChannels: 32, height: 8, width: 8, kernelSize: 3, stride: 2, padding: 1)
        let stem = Parameters(batch: 1, inChannels: 3, outChannels: 32, height: 8, width: 8, kernelSize: 3, padding: 1)
        XCTAssertTrue(Conv2dLauncher.supportsWinograd(wide))
        XCTAssertFalse(Conv2dLauncher.supportsWinograd(strided))
        XCTAssertEqual(Conv2dLauncher.automaticAlgorithm(for: wide, device: device), .winograd)
        XCTAssertEqual(Conv2dLauncher.automaticAlgorithm(for: strided, device: device), .direct)
        XCTAssertEqual(Conv2dLauncher.automaticAlgorithm(for: stem, device: device), .direct)
        XCTAssertEqual(try Conv2dLauncher(device: device, parameters: wide, algorithm: .direct).algorithm, .direct)
        let asked = try Conv2dLauncher(device: device, parameters: wide, algorithm: .winograd)
        XCTAssertEqual(asked.trainingForwardAlgorithm, .winograd)
        if try Conv2dLauncher.Algorithm.forced() == nil {
            let automatic = try Conv2dLauncher(device: device, parameters: wide)
            XCTAssertEqual(automatic.algorithm, .winograd)
            XCTAssertEqual(automatic.trainingForwardAlgorithm, .direct, "training forwards stay direct (parity with PyTorch)")
        }
        XCTAssertThrowsError(try Conv2dLauncher(device: device, parameters: strided, algorithm: .winograd)) { error in
            XCTAssertTrue("\(error)".contains("Winograd"), "\(error)")
        }
        XCTAssertEqual(try Conv2dLauncher.Algorithm.forced(by: ["RETORT_CONV": "direct"]), .direct)
        XCTAssertEqual(try Conv2dLauncher.Algorithm.forced(by: ["RETORT_CONV": "Winograd"]), .winograd)
        XCTAssertNil(try Conv2dLauncher.Algorithm.forced(by: ["RETORT_CONV": "auto"]))
        XCTAssertNil(try Conv2dLauncher.Algorithm.forced(by: [:]))
        XCTAssertThrowsError(try Conv2dLauncher.Algorithm.forced(by: ["RETORT_CONV": "fft"])) { error in
            XCTAssertTrue("\(error)".contains("RETORT_CONV=fft"), "\(error)")
        }
    }
}
