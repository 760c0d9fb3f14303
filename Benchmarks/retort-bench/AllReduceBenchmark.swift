import Foundation
import RetortDistributed

/// The raw all-reduce (`MPI_Allreduce`, sum of floats, in place: the call ``DataParallel`` makes) at
/// several message sizes, over whatever transport `mpirun` chose (`--mca btl self,vader` for shared
/// memory, `--mca btl self,tcp` as between machines), to extrapolate a model's gradient exchange.
///
/// Each round starts from a barrier, and its time is the slowest rank's; the report gives the
/// median round after one warm-up round (connection set-up), the algorithm bandwidth (bytes / time)
/// and the bus bandwidth (× 2(N−1)/N, what each link carries in a ring all-reduce; nccl-tests' measure).
/// Every round's sum is checked element by element.
struct AllReduceBenchmark {
    let group: any ProcessGroup
    /// Message sizes in megabytes (10⁶ bytes).
    let megabytes: [Double]
    let rounds: Int

    func run() throws -> [String: Any] {
        var rows: [[String: Any]] = []
        for size in megabytes { rows.append(try measure(megabytes: size)) }
        return ["benchmark": "allreduce", "ranks": group.size, "rounds": rounds, "results": rows]
    }

    private func measure(megabytes: Double) throws -> [String: Any] {
        let count = max(1, Int((megabytes * 1e6 / Double(MemoryLayout<Float>.size)).rounded()))
        let bytes = count * MemoryLayout<Float>.size
        // Rank r contributes r + 1: the sum, N(N+1)/2, is exact in Float for any job size here.
        let expected = Float(group.size * (group.size + 1) / 2)
        var seconds: [Double] = []
        for round in 0...rounds {
            var values = [Float](repeating: Float(group.rank + 1), count: count)
            try group.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try group.allReduce(&values, .sum)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            if let wrong = values.firstIndex(where: { $0 != expected }) {
                throw BenchmarkJobError("the all-reduce of \(count) floats gave \(values[wrong]) at element \(wrong) where the sum "
                                        + "over \(group.size) ranks is \(expected)")
            }
            if round > 0 { seconds.append(elapsed) }
        }
        try group.allReduce(&seconds, .max)
        let time = seconds.sorted()[seconds.count / 2]
        let algorithm = Double(bytes) / time / 1e9
        let bus = algorithm * 2 * Double(group.size - 1) / Double(group.size)
        if group.isMain {
            FileHandle.standardError.write(Data(String(format: "allreduce %.3f MB on %d rank(s): %.3f ms, %.2f GB/s (bus %.2f GB/s)\n",
                                                       Double(bytes) / 1e6, group.size, time * 1e3, algorithm, bus).utf8))
        }
        return ["bytes": bytes, "floats": count, "ms": (time * 1e6).rounded() / 1e3,
                "ms_best": ((seconds.min() ?? 0) * 1e6).rounded() / 1e3,
                "algorithm_gb_per_second": (algorithm * 1e3).rounded() / 1e3, "bus_gb_per_second": (bus * 1e3).rounded() / 1e3]
    }

    /// A Markdown table of a report: one row per message size.
    static func markdown(_ report: [String: Any]) -> String {
        var lines = ["| MB | ranks | ms (median) | ms (best) | algorithm GB/s | bus GB/s |", "|---|---|---|---|---|---|"]
        for row in report["results"] as? [[String: Any]] ?? [] {
            let megabytes = String(format: "%.3f", Double(row["bytes"] as? Int ?? 0) / 1e6)
            lines.append("| " + [megabytes, "\(report["ranks"] ?? "")"].joined(separator: " | ") + " | "
                         + ["ms", "ms_best", "algorithm_gb_per_second", "bus_gb_per_second"].map { "\(row[$0] ?? "")" }
                             .joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
