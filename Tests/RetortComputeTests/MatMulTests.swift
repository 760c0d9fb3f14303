import XCTest
@testable import RetortCompute
import RetortTestSupport

final class GEMMTests: DeviceTestCase {
    private func check(_ gemm: MatMulLauncher, _ shape: MatMulLauncher.Shape, alpha: Float = 1, beta: Float = 0, bias: Int = 0,
                       splitK: Int? = nil, seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line) throws {
        var random = TestRandom(seed: seed)
        let sizeA = max(1, (shape.batch - 1) * shape.resolvedStrideA + shape.m * shape.k)
        let sizeB = max(1, (shape.batch - 1) * shape.resolvedStrideB + shape.k * shape.n)
        let sizeC = (shape.batch - 1) * shape.resolvedStrideC + shape.m * shape.n
        let a = random.floats(sizeA), b = random.floats(sizeB), c0 = random.floats(sizeC)
        let rowBias = bias == 1 ? random.floats(shape.m) : nil
        let columnBias = bias == 2 ? random.floats(shape.n) : nil
        let bufferC = try device.makeBuffer(c0)
        let biasArgument: MatMulLauncher.Bias
        if let rowBias { biasArgument = .perRow(try device.makeBuffer(rowBias)) }
        else if let columnBias { biasArgument = .perColumn(try device.makeBuffer(columnBias)) }
        else { biasArgument = .none }
        let stream = try device.makeStream()
        try gemm.encode(into: stream, a: try device.makeBuffer(a), b: try device.makeBuffer(b), c: bufferC, shape: shape,
                        alpha: alpha, beta: beta, bias: biasArgument, splitK: splitK)
        try stream.run()
        let expected = MatMulOracle.gemm(a, b, c0, shape, alpha: Double(alpha), beta: Double(beta), rowBias: rowBias,
                                         columnBias: columnBias)
        let error = maxRelativeError(try bufferC.read(Float.self, count: sizeC), expected)
        XCTAssertLessThanOrEqual(error, 1e-4, "\(gemm.variant) \(shape) alpha \(alpha) beta \(beta) bias \(bias) splitK \(splitK ?? 0)",
                                 file: file, line: line)
    }

    private func variants() throws -> [MatMulLauncher] {
        [try MatMulLauncher(device: device, variant: .texel), try MatMulLauncher(device: device, variant: .tiled)]
    }

    func testAllTransposesOnOddShapes() throws {
        for gemm in try variants() {
            for (m, n, k) in [(1, 1, 1), (7, 7, 7), (33, 33, 33), (130, 130, 130), (5, 130, 33), (130, 1, 7), (64, 128, 256)] {
                for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                    try check(gemm, MatMulLauncher.Shape(m: m, n: n, k: k, transposeA: ta, transposeB: tb), alpha: 0.5, beta: -2)
                }
            }
        }
    }

    func testBatchedWithStridesAndBroadcast() throws {
        for gemm in try variants() {
            try check(gemm, MatMulLauncher.Shape(m: 9, n: 12, k: 8, batch: 3))
            try check(gemm, MatMulLauncher.Shape(m: 9, n: 13, k: 7, batch: 3, transposeB: true))
            // One A shared by every batch entry (a convolution's weights), padded batch strides elsewhere.
            try check(gemm, MatMulLauncher.Shape(m: 16, n: 20, k: 12, batch: 4, strideA: 0, strideB: 12 * 20 + 8, strideC: 16 * 20 + 4))
            try check(gemm, MatMulLauncher.Shape(m: 6, n: 5, k: 3, batch: 2, transposeA: true, strideA: 0), beta: 1)
        }
    }

    func testFusedBiasPerRowAndPerColumn() throws {
        for gemm in try variants() {
            try check(gemm, MatMulLauncher.Shape(m: 33, n: 17, k: 9), bias: 1)
            try check(gemm, MatMulLauncher.Shape(m: 33, n: 17, k: 9, transposeB: true), beta: 1, bias: 2)
            try check(gemm, MatMulLauncher.Shape(m: 10, n: 7, k: 300, batch: 2), bias: 2, splitK: 4)
        }
    }

    /// A weight gradient summed over the batch: dW = Σ_b dY_b · X_bᵀ (a 1×1 convolution's backward).
    func testSumOverBatch() throws {
        for gemm in try variants() {
            try check(gemm, MatMulLauncher.Shape(m: 8, n: 5, k: 49, batch: 3, transposeB: true, sumOverBatch: true))
            try check(gemm, MatMulLauncher.Shape(m: 16, n: 12, k: 1024, batch: 2, transposeB: true, sumOverBatch: true), alpha: 0.5, beta: 1, bias: 1)
            try check(gemm, MatMulLauncher.Shape(m: 7, n: 9, k: 600, batch: 4, sumOverBatch: true), bias: 2, splitK: 3)
        }
    }

    /// Tall-skinny weight-gradient shape (small M·N, deep K): split-K, forced and automatic.
    func testSplitKMatchesTheCPU() throws {
        for gemm in try variants() {
            let shape = MatMulLauncher.Shape(m: 16, n: 27, k: 4000, transposeA: true)
            try check(gemm, shape, alpha: 2, beta: 0.5)
            for splits in [2, 3, 7] { try check(gemm, shape, splitK: splits) }
        }
    }

    func testSameInputsGiveTheSameBits() throws {
        var random = TestRandom(seed: 9)
        let (m, n, k) = (20, 24, 3000)
        let a = try device.makeBuffer(random.floats(m * k)), b = try device.makeBuffer(random.floats(k * n))
        for gemm in try variants() {
            var results: [[UInt32]] = []
            for _ in 0..<2 {
                let c = try device.makeBuffer(byteCount: m * n * 4)
                let stream = try device.makeStream()
                try gemm.encode(into: stream, a: a, b: b, c: c, shape: .init(m: m, n: n, k: k))
                try stream.run()
                results.append(try c.read(UInt32.self))
            }
            XCTAssertEqual(results[0], results[1], "\(gemm.variant)")
        }
    }

    func testBadShapesAreErrorsNamingTheProblem() throws {
        let gemm = try MatMulLauncher(device: device)
        let small = try device.makeBuffer(byteCount: 16), stream = try device.makeStream()
        XCTAssertThrowsError(try gemm.encode(into: stream, a: small, b: small, c: small, shape: .init(m: 3, n: 3, k: 3))) { error in
            XCTAssert("\(error)".contains("GEMM M=3 N=3 K=3 batch=1: A needs 9 floats but its buffer holds 4"), "\(error)")
        }
        XCTAssertThrowsError(try gemm.encode(into: stream, a: small, b: small, c: small, shape: .init(m: 0, n: 1, k: 1)))
        XCTAssertThrowsError(try gemm.encode(into: stream, a: small, b: small, c: small, shape: .init(m: 1, n: 1, k: 1, batch: 2, strideC: 0)))
        XCTAssertThrowsError(try gemm.encode(into: stream, a: small, b: small, c: small, shape: .init(m: 3, n: 1, k: 1),
                                             bias: .perRow(try device.makeBuffer(byteCount: 4))))
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
