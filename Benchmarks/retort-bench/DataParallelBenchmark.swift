import Foundation
import RetortCompute
import RetortDistill
import RetortDistributed

/// What data-parallel training spends communicating: real steps of the ``Trainer`` with a
/// ``DataParallel`` over the job's ranks (the step `mpirun -np N retort train` takes: this rank's rows of
/// the global batch forward and backward, the gradients read from the device, averaged over the ranks
/// in one flat all-reduce and written back, the SGD update) on random images, after warm-up steps.
///
/// Per model it reports the medians over the timed steps of the step's wall time, the all-reduce's
/// and the gradient transfer's (``DataParallel/Reduction``), the bytes each rank all-reduces, and
/// their share of the step. A rank's all-reduce time includes waiting for the last rank to arrive
/// (load imbalance, not communication), so the report also gives, per step, the least and the most
/// over the ranks: the least is the closest to the exchange alone, and its best step the closest to
/// the exchange without a busy host's scheduling delays.
/// Without `mpirun` the Trainer runs as one plain process: no all-reduce, 0 bytes.
struct DataParallelBenchmark {
    /// A model and the shape of the images it trains on.
    struct Workload {
        let model: String
        let channels: Int, side: Int, classes: Int

        /// Plain CNNs (`plane…`) train on Fashion-MNIST's shape (1×28×28, 10 classes), the others on
        /// CIFAR-100's (3×32×32, 100 classes).
        init(model: String) {
            self.model = model
            (channels, side, classes) = model.hasPrefix("plane") ? (1, 28, 10) : (3, 32, 100)
        }
    }

    let device: Device
    /// The job's ranks; nil for a plain process.
    let group: (any ProcessGroup)?
    let workloads: [Workload]
    /// The global batch, split evenly over the ranks.
    let batchSize: Int
    let warmUpSteps: Int
    let steps: Int

    func run() throws -> [String: Any] {
        var rows: [[String: Any]] = []
        for workload in workloads { rows.append(try measure(workload)) }
        return ["benchmark": "data-parallel", "device": device.info.summary, "ranks": group?.size ?? 1, "mpi": group != nil,
                "transport": transport, "global_batch": batchSize, "warm_up_steps": warmUpSteps, "steps": steps, "results": rows]
    }

    /// Open MPI's byte transports as `mpirun --mca btl …` chose them (it passes them to the ranks as
    /// `OMPI_MCA_btl`): `self,vader` is shared memory, `self,tcp` TCP; "default" when not chosen.
    var transport: String {
        guard group != nil else { return "none" }
        return ProcessInfo.processInfo.environment["OMPI_MCA_btl"] ?? "default"
    }

    private func measure(_ workload: Workload) throws -> [String: Any] {
        let context = try Context(device: device)
        let model = try ModelZoo.make(workload.model, inputChannels: workload.channels, inputSize: workload.side,
                                      classes: workload.classes, context: context, seed: 1)
        let optimizer = try SGDOptimizer(parameters: model.parameters(),
                                         options: .init(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4), context: context)
        let total = warmUpSteps + steps
        let train = SyntheticBatches(count: total, batchSize: batchSize, channels: workload.channels, side: workload.side,
                                     classes: workload.classes, seed: 2)
        let test = SyntheticBatches(count: 1, batchSize: batchSize, channels: workload.channels, side: workload.side,
                                    classes: workload.classes, seed: 3)
        // Rank 0 writes the run folder (one epoch's checkpoints), which is thrown away.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("retort-bench-ddp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: try ConstantSchedule(learningRate: 0.05), epochs: 1,
                              runDirectory: folder)
        let parallel = group.map { DataParallel(group: $0) }
        trainer.dataParallel = parallel
        // One process without mpirun all-reduces nothing: no reductions, 0 bytes and seconds.
        var ends: [UInt64] = [], reductions: [DataParallel.Reduction?] = []
        trainer.onStep = { _ in
            ends.append(DispatchTime.now().uptimeNanoseconds)
            reductions.append(parallel?.lastReduction)
        }
        let started = DispatchTime.now().uptimeNanoseconds
        // One epoch of `total` steps, then the Trainer's end-of-epoch work: the replicas' weights
        // compared bit for bit (it throws if they differ), an evaluation, rank 0's checkpoints.
        try trainer.fit(train: train, test: test)
        guard ends.count == total else {
            throw BenchmarkJobError("\(workload.model): \(ends.count) of \(total) steps ran")
        }
        let starts = [started] + ends.dropLast()
        let timed = warmUpSteps..<total
        let stepSeconds = timed.map { Double(ends[$0] - starts[$0]) * 1e-9 }
        let reduceSeconds = timed.map { reductions[$0]?.seconds ?? 0 }
        let transferSeconds = timed.map { reductions[$0]?.transferSeconds ?? 0 }
        // Per step, the least and the most time over the ranks: every rank waits in the all-reduce
        // for the last to arrive, so the least is about the exchange itself.
        var least = reduceSeconds, most = reduceSeconds
        try group?.allReduce(&least, .min)
        try group?.allReduce(&most, .max)
        let (step, reduce, transfer) = (median(stepSeconds), median(reduceSeconds), median(transferSeconds))
        let (reduceLeast, reduceMost) = (median(least), median(most))
        let bytes = reductions.last??.bytes ?? 0
        let parameters = model.parameters().reduce(0) { $0 + $1.count }
        let ranks = group?.size ?? 1
        let rate = Double(batchSize) / step
        let format = "%@: %d rank(s), global batch %d: %.1f ms/step, %.1f images/s, all-reduce %.3f MB in %.2f ms "
            + "(%.1f%% of the step; the least rank %.2f ms, %.1f%%), gradient transfer %.2f ms\n"
        if group?.isMain ?? true {
            let line = String(format: format, workload.model, ranks, batchSize, step * 1e3, rate, Double(bytes) / 1e6, reduce * 1e3,
                              reduce / step * 100, reduceLeast * 1e3, reduceLeast / step * 100, transfer * 1e3)
            FileHandle.standardError.write(Data(line.utf8))
        }
        return [
            "model": workload.model, "transport": transport, "input": [workload.channels, workload.side, workload.side],
            "classes": workload.classes,
            "ranks": ranks, "global_batch": batchSize, "batch_per_rank": batchSize / ranks, "parameters": parameters,
            "gradient_bytes": parameters * MemoryLayout<Float>.size, "allreduce_bytes_per_rank": bytes,
            "step_ms": milliseconds(step), "images_per_second": (rate * 10).rounded() / 10,
            "allreduce_ms": milliseconds(reduce), "allreduce_ms_least_rank": milliseconds(reduceLeast),
            "allreduce_ms_most_rank": milliseconds(reduceMost),
            "allreduce_ms_least_rank_best_step": milliseconds(least.min() ?? 0),
            "allreduce_gb_per_second": reduceLeast > 0 ? rounded(Double(bytes) / reduceLeast / 1e9) : 0,
            "gradient_transfer_ms": milliseconds(transfer),
            "allreduce_share": rounded(reduce / step), "allreduce_share_least_rank": rounded(reduceLeast / step),
            "communication_share": rounded((reduceLeast + transfer) / step),
        ]
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    private func milliseconds(_ seconds: Double) -> Double { (seconds * 1e6).rounded() / 1e3 }
    private func rounded(_ value: Double) -> Double { (value * 1e4).rounded() / 1e4 }

    /// A Markdown table of a report: one row per model.
    static func markdown(_ report: [String: Any]) -> String {
        var lines = ["| model | ranks | transport | global batch | step ms | images/s | all-reduce bytes/rank "
                        + "| all-reduce ms: rank 0 (least–most rank) | least rank's best step ms | GB/s (least rank) "
                        + "| gradient transfer ms | all-reduce share: rank 0 / least rank | least rank + transfer share |",
                     "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for row in report["results"] as? [[String: Any]] ?? [] {
            func cell(_ key: String) -> String { "\(row[key] ?? "")" }
            func percent(_ key: String) -> String { String(format: "%.1f%%", (row[key] as? Double ?? 0) * 100) }
            let reduce = "\(cell("allreduce_ms")) (\(cell("allreduce_ms_least_rank"))–\(cell("allreduce_ms_most_rank")))"
            lines.append("| " + [cell("model"), cell("ranks"), cell("transport"), cell("global_batch"), cell("step_ms"),
                                  cell("images_per_second"), cell("allreduce_bytes_per_rank"), reduce,
                                  cell("allreduce_ms_least_rank_best_step"), cell("allreduce_gb_per_second"), cell("gradient_transfer_ms"),
                                  "\(percent("allreduce_share")) / \(percent("allreduce_share_least_rank"))",
                                  percent("communication_share")].joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
