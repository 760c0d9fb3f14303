import Foundation
import RetortCompute

/// One kernel benchmark: `record` adds the kernel's dispatches for one repetition to a stream;
/// throughput is `work` (FLOP or bytes) divided by the median GPU time of a repetition.
struct KernelCase {
    enum Unit: String { case gflops = "GFLOP/s", gbps = "GB/s" }

    /// Short stable identifier, e.g. `gemm_nn_1024`.
    var name: String
    /// Human description of the shape, e.g. `1024x1024x1024`.
    var shape: String
    var unit: Unit
    /// FLOP (for `.gflops`) or bytes moved (for `.gbps`) per repetition.
    var work: Double
    /// Records one repetition.
    var record: (CommandStream) throws -> Void
}

/// Runs `KernelCase`s: one warm-up (pays JIT), then `repetitions` timed submits; reports the median.
struct KernelBenchmark {
    let device: Device
    let repetitions: Int
    /// Only cases whose name contains one of these run (all when empty).
    let filters: [String]

    /// Every family's cases. Each family lives in its own `Kernels+<Family>.swift` file.
    func cases() throws -> [KernelCase] {
        try gemmCases() + convCases() + lossCases() + normalizationCases() + elementwiseCases() + optimizerCases()
    }

    func run() throws -> [String: Any] {
        var rows: [[String: Any]] = []
        for benchmark in try cases() where filters.isEmpty || filters.contains(where: { benchmark.name.contains($0) }) {
            let stream = try device.makeStream(timestamps: true)
            try benchmark.record(stream)
            try stream.run()  // warm-up
            var times: [Double] = [], walls: [Double] = [], cpus: [Double] = [], lastDispatches: [(kernel: String, seconds: Double)] = []
            for _ in 0..<repetitions {
                try benchmark.record(stream)
                let start = DispatchTime.now().uptimeNanoseconds, cpuStart = Self.processCPUSeconds()
                try stream.run()
                cpus.append(Self.processCPUSeconds() - cpuStart)
                let wall = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                lastDispatches = try stream.dispatchTimes()
                let gpu = lastDispatches.reduce(0) { $0 + $1.seconds }
                // GPU timestamps when the device has them; the wall clock otherwise.
                times.append(gpu > 0 ? gpu : wall)
                walls.append(wall)
            }
            let wallMedian = walls.sorted()[walls.count / 2]
            let median = times.sorted()[times.count / 2]
            let cpuMedian = cpus.sorted()[cpus.count / 2]
            let rate = benchmark.work / median / 1e9
            FileHandle.standardError.write(Data(String(format: "%-28@ %-22@ %9.2f %@  (%.3f ms, CPU %.3f ms)\n",
                                                       benchmark.name as NSString, benchmark.shape as NSString, rate,
                                                       benchmark.unit.rawValue as NSString, median * 1e3, cpuMedian * 1e3).utf8))
            // A case of several dispatches (a Winograd convolution: transforms and products) also
            // reports where its last repetition spent the time.
            let breakdown = lastDispatches.count > 1
                ? lastDispatches.map { ["kernel": $0.kernel, "ms": ($0.seconds * 1e6).rounded() / 1e3] as [String: Any] } : []
            for dispatch in breakdown {
                FileHandle.standardError.write(Data("    \(dispatch["kernel"] ?? "")  \(dispatch["ms"] ?? "") ms\n".utf8))
            }
            rows.append(["name": benchmark.name, "shape": benchmark.shape, "unit": benchmark.unit.rawValue,
                         "value": (rate * 100).rounded() / 100, "ms": (median * 1e6).rounded() / 1e3,
                         "wall_ms": (wallMedian * 1e6).rounded() / 1e3, "cpu_ms": (cpuMedian * 1e6).rounded() / 1e3]
                         .merging(breakdown.isEmpty ? [:] : ["dispatches": breakdown]) { $1 })
        }
        return ["benchmark": "kernels", "device": device.info.summary, "repetitions": repetitions, "results": rows]
    }

    /// CPU time of this process, all threads (a CPU device's worker threads included): on a shared,
    /// noisy host it moves far less than the wall clock when other processes take the cores.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// A Markdown table of `run()`'s results.
    static func markdown(_ report: [String: Any]) -> String {
        var lines = ["| kernel | shape | throughput | GPU ms | wall ms (submit+wait) |", "|---|---|---|---|---|"]
        for row in report["results"] as? [[String: Any]] ?? [] {
            lines.append("| \(row["name"] ?? "") | \(row["shape"] ?? "") | \(row["value"] ?? "") \(row["unit"] ?? "") | \(row["ms"] ?? "") | \(row["wall_ms"] ?? "") |")
        }
        return lines.joined(separator: "\n")
    }

    /// A device buffer of `count` deterministic pseudo-random floats in [-1, 1].
    func randomBuffer(_ count: Int, seed: UInt64 = 1) throws -> Buffer {
        var state = seed
        let values = (0..<count).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max)
        }
        return try device.makeBuffer(values)
    }
}
