import Foundation
import Retort
import RetortCompute

/// `retort selftest`: GEMMs of several sizes on the chosen device against a CPU reference.
enum SelfTestCommand: RegisteredCommand {
    static let name = "selftest"
    static let order = 120
    static let summary = "run a GEMM on the chosen device and compare it with a CPU reference"
    static let usage = """
        --size N    largest square size to check (default 256)
        --seed S    random seed (default 1)
        """
    static let spec = Arguments.Spec(options: ["size", "seed"])

    static let tolerance = 1e-4

    static func run(_ arguments: Arguments, launch: Launch) throws {
        let largest = try arguments.integer("size", default: 256, range: 1...2048)
        let seed = try arguments.integer("seed", default: 1, range: 0...Int(Int32.max))
        let device = try Device()
        print("device: \(device.info.summary)")
        print("(times include recording, submit and wait; the first one also pays the kernel's first-use compile)")
        let gemm = try MatMulLauncher(device: device)
        let stream = try device.makeStream()
        var generator = SplitMix64(seed: UInt64(seed))
        var worst = 0.0
        for size in [1, 7, 33, 130, largest].filter({ $0 <= largest }) {
            let (m, n, k) = (size, size + 3, size + 1)
            let a = generator.floats(m * k)
            let b = generator.floats(k * n)
            let bufferA = try device.makeBuffer(a)
            let bufferB = try device.makeBuffer(b)
            let bufferC = try device.makeBuffer(byteCount: m * n * 4)
            let start = Date()
            try gemm.encode(into: stream, a: bufferA, b: bufferB, c: bufferC, m: m, n: n, k: k)
            try stream.run()
            let seconds = Date().timeIntervalSince(start)
            let c = try bufferC.read(Float.self)
            let error = maxRelativeError(c, reference(a, b, m: m, n: n, k: k))
            worst = max(worst, error)
            print(String(format: "gemm M=%-4d N=%-4d K=%-4d max relative error %.2e  (%.1f ms)",
                         m, n, k, error, seconds * 1000))
        }
        device.savePipelineCache()
        guard worst <= tolerance else {
            throw CLIError.failed(String(format: "GEMM differs from the CPU reference by %.2e (tolerance %.0e)", worst, tolerance))
        }
        print(String(format: "selftest passed: max relative error %.2e ≤ %.0e", worst, tolerance))
    }

    /// Row-major C = A·B with Double accumulation.
    static func reference(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                let aip = Double(a[i * k + p])
                for j in 0..<n { c[i * n + j] += aip * Double(b[p * n + j]) }
            }
        }
        return c
    }

    /// Largest |x − y| / max(1, |y|) over all elements; any non-finite result is an infinite error.
    static func maxRelativeError(_ x: [Float], _ y: [Double]) -> Double {
        guard x.allSatisfy(\.isFinite) else { return .infinity }
        return zip(x, y).reduce(0) { max($0, abs(Double($1.0) - $1.1) / max(1, abs($1.1))) }
    }
}
