import Foundation
import RetortCompute
import RetortDistill

/// Many real training steps, watching memory: the ``Trainer`` with a ``DataLoader`` (its prefetch
/// thread), a test evaluation, `metrics.jsonl`, `summary.md` and checkpoints every epoch, into a
/// temporary run folder. After every step it reads the process's resident set (`/proc/self/statm`)
/// and the arena's bytes held by live buffers; both must be flat once the first epoch has warmed up
/// (pipelines compiled, the optimizer's state allocated, the first checkpoint written): the arena
/// returns every step's memory and nothing accumulates on the host.
struct SoakBenchmark {
    let device: Device
    let model: String
    let batchSize: Int
    let steps: Int

    func run() throws -> [String: Any] {
        let context = try Context(device: device)
        let stepsPerEpoch = min(100, steps)
        let epochs = (steps + stepsPerEpoch - 1) / stepsPerEpoch
        let train = try Dataset.load(.fashionMNIST, split: .train, limit: stepsPerEpoch * batchSize)
        let test = try Dataset.load(.fashionMNIST, split: .test, limit: 500)
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        let trainLoader = try DataLoader(dataset: train, batchSize: batchSize, mode: .train(augmentation), seed: 1)
        let testLoader = try DataLoader(dataset: test, batchSize: 500, mode: .test)
        let network = try ModelZoo.make(model, inputChannels: 1, inputSize: 28, classes: 10, context: context, seed: 1)
        let optimizer = try SGDOptimizer(parameters: network.parameters(),
                                         options: .init(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4), context: context)
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("retort-soak-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        let trainer = Trainer(model: network, optimizer: optimizer, schedule: try CosineAnnealingSchedule(baseLearningRate: 0.05,
                                                                                                           annealingEpochs: epochs),
                              epochs: epochs, runDirectory: run)
        var resident: [UInt64] = [], arena: [UInt64] = [], stepPeaks: [UInt64] = [], reserved: [UInt64] = []
        trainer.onStep = { _ in
            resident.append(Self.residentBytes())
            arena.append(device.bytesInUse)
            stepPeaks.append(device.peakBytesInUse)  // since the previous step: its tensors (and an epoch's evaluation)
            device.resetPeakBytesInUse()
            reserved.append(device.reservedBytes)
        }
        trainer.shouldStop = { resident.count >= steps }
        let started = Date()
        device.resetPeakBytesInUse()
        try trainer.fit(train: trainLoader, test: testLoader)
        let seconds = Date().timeIntervalSince(started)
        // The first step of the second epoch: after the first evaluation and checkpoints.
        let warm = resident.count > stepsPerEpoch ? stepsPerEpoch : resident.count - 1
        func summary(_ values: [UInt64]) -> [String: Int] {
            ["first": Int(values[0]), "after_first_epoch": Int(values[warm]), "last": Int(values[values.count - 1]),
             "peak": Int(values.max() ?? 0), "growth_after_first_epoch": Int(values[values.count - 1]) - Int(values[warm])]
        }
        let arenaAfterWarmUp = Set(arena[warm...])
        // Steps that follow an epoch's end also hold its evaluation's buffers; the others must agree.
        let trainingPeaks = Set(stepPeaks.indices.filter { $0 >= warm && $0 % stepsPerEpoch != 0 }.map { stepPeaks[$0] })
        let report: [String: Any] = [
            "benchmark": "soak", "device": device.info.summary, "model": model, "batch_size": batchSize, "steps": resident.count,
            "steps_per_epoch": stepsPerEpoch, "epochs_finished": trainer.history.count,
            "seconds": (seconds * 10).rounded() / 10, "steps_per_second": (Double(resident.count) / seconds * 10).rounded() / 10,
            "rss_bytes": summary(resident), "arena_bytes_in_use": summary(arena), "arena_reserved_bytes": summary(reserved),
            "rss_bytes_each_epoch": stride(from: 0, to: resident.count, by: stepsPerEpoch).map { Int(resident[$0]) },
            "arena_step_peak_bytes": summary(stepPeaks), "arena_step_peak_distinct_values_after_first_epoch": trainingPeaks.count,
            "arena_flat": arenaAfterWarmUp.count == 1 && trainingPeaks.count == 1,
            "arena_distinct_values_after_first_epoch": arenaAfterWarmUp.count,
        ]
        let mebibytes = { (value: UInt64) in String(format: "%.2f MiB", Double(value) / 1048576) }
        FileHandle.standardError.write(Data(("soak: \(resident.count) steps of \(model) in \(Int(seconds)) s; RSS after the first epoch "
            + "\(mebibytes(resident[warm])), last \(mebibytes(resident[resident.count - 1])), peak \(mebibytes(resident.max() ?? 0)); "
            + "arena in use \(mebibytes(arena[warm])) → \(mebibytes(arena[arena.count - 1])), a step's peak "
            + "\(mebibytes(stepPeaks[min(warm + 1, stepPeaks.count - 1)])) → \(mebibytes(stepPeaks[stepPeaks.count - 1]))\n").utf8))
        return report
    }

    /// The process's resident set in bytes (Linux: `/proc/self/statm`; 0 where it does not exist).
    static func residentBytes() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
