import Foundation
import Retort
import RetortCompute
import RetortNN

/// Training throughput of whole steps on random images, after warm-up, with a profile of the last
/// step by kernel family (GPU timestamps) and each step's peak arena bytes (the device memory live
/// buffers held at once; activations are recycled, so the peak of step 2 is the peak of every later step).
///
/// A plain step: forward, cross-entropy, backward, SGD update (3×32×32, 100 classes). A KD step
/// (``Workload/distillation(teacher:student:channels:side:classes:foldsTeacher:)``): the frozen
/// teacher's forward in evaluation mode (its batch norms folded, or not), the student's forward, the
/// `--loss kd` objective 0.1·CE + 0.9·T²·KL (T = 4, batchmean), backward and the SGD update.
struct TrainBenchmark {
    /// What one row times.
    struct Workload {
        let student: String
        let teacher: String?
        let channels: Int, side: Int, classes: Int
        let foldsTeacher: Bool

        static func training(_ model: String) -> Workload {
            Workload(student: model, teacher: nil, channels: 3, side: 32, classes: 100, foldsTeacher: false)
        }

        static func distillation(teacher: String, student: String, channels: Int, side: Int, classes: Int,
                                 foldsTeacher: Bool) -> Workload {
            Workload(student: student, teacher: teacher, channels: channels, side: side, classes: classes, foldsTeacher: foldsTeacher)
        }

        /// The KD steps of `retort-bench train --distill`, each with a folded and then an unfolded teacher
        /// (side by side in time, so that a busy host slows both alike).
        static let distillations: [Workload] = [("resnet32x4", "resnet8x4", 3, 32, 100), ("plane10", "plane2", 1, 28, 10)]
            .flatMap { pair in
            [true, false].map { folds in
                Workload.distillation(teacher: pair.0, student: pair.1, channels: pair.2, side: pair.3, classes: pair.4, foldsTeacher: folds)
            }
        }

        /// How the row is named: the model, or `teacher->student` (the key the PyTorch peer reports).
        var key: String { teacher.map { "\($0)->\(student)" } ?? student }

        var label: String {
            guard let teacher else { return student }
            return "\(teacher) → \(student) KD, \(foldsTeacher ? "folded" : "unfolded") teacher"
        }

        /// `teacher:student:channels:side:classes`, the peer script's description of a KD step.
        var peerArgument: String { "\(teacher ?? ""):\(student):\(channels):\(side):\(classes)" }
    }

    let device: Device
    let workloads: [Workload]
    let batchSize: Int
    let steps: Int
    /// Each workload is timed in each precision (side by side, so a busy host slows them alike).
    var precisions: [Precision] = [.float32]

    func run() throws -> [String: Any] {
        var rows: [[String: Any]] = []
        for workload in workloads {
            var measured = try precisions.map { try measure(workload, precision: $0) }
            // Each precision against fp32's row of the same workload, when both ran.
            if let fp32 = measured.first(where: { $0["precision"] as? String == "fp32" }) {
                for index in measured.indices {
                    for key in ["images_per_second", "peak_arena_bytes"] {
                        guard let ours = measured[index][key] as? Double ?? (measured[index][key] as? Int).map(Double.init),
                              let base = fp32[key] as? Double ?? (fp32[key] as? Int).map(Double.init), base > 0 else { continue }
                        measured[index]["\(key)_vs_fp32"] = (ours / base * 1000).rounded() / 1000
                    }
                }
            }
            rows += measured
        }
        return ["benchmark": "train", "device": device.info.summary, "steps": steps, "results": rows]
    }

    private func measure(_ workload: Workload, precision: Precision) throws -> [String: Any] {
        let context = try Context(device: device, timestamps: true)
        let (channels, side, classes) = (workload.channels, workload.side, workload.classes)
        let model = try ModelZoo.make(workload.student, inputChannels: channels, inputSize: side, classes: classes, context: context,
                                      seed: 1)
        let teacher = try workload.teacher.map {
            try ModelZoo.make($0, inputChannels: channels, inputSize: side, classes: classes, context: context, seed: 3)
        }
        if let teacher {
            try teacher.freeze()
            teacher.eval()
            if workload.foldsTeacher { try teacher.foldBatchNorms() }
        }
        let optimizer = try SGDOptimizer(parameters: model.parameters(),
                                          options: .init(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4), context: context)
        var generator = SplitMix64(seed: 2)
        let x = try Tensor(generator.floats(batchSize * channels * side * side), shape: [batchSize, channels, side, side], context: context)
        let labels = (0..<batchSize).map { $0 % classes }
        model.train()
        let temperature: Float = 4
        var scaler: LossScaler? = precision == .float16 ? LossScaler() : nil
        func step() throws -> Float {
            try optimizer.zeroGrad()
            let teacherLogits = try teacher.map { teacher in try context.noGrad { try context.autocast(precision) { try teacher(x) }.float32() } }
            let logits = try context.autocast(precision) { try model(x) }.float32()
            var loss = try logits.crossEntropy(labels: labels)
            if let teacherLogits {
                let kd = try logits.klDivergence(teacher: teacherLogits, temperature: temperature,
                                                 scale: temperature * temperature / Float(batchSize))
                loss = try loss.scaled(by: 0.1) + kd.scaled(by: 0.9)
            }
            if try LossScaler.backward(loss, parameters: model.parameters(), scaler: &scaler) { try optimizer.step() }
            return try loss.item()  // one submit and wait per step
        }
        /// Runs a step and returns its loss and the most arena bytes held during it.
        func measuredStep() throws -> (loss: Float, peak: UInt64) {
            device.resetPeakBytesInUse()
            let loss = try step()
            return (loss, device.peakBytesInUse)
        }
        // Warm-up: pipelines, first-use compiles, the optimizer's state; step 2 is the first steady one.
        _ = try measuredStep()
        let secondPeak = try measuredStep().peak
        var seconds: [Double] = [], peaks: [UInt64] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            let (loss, peak) = try measuredStep()
            guard loss.isFinite else { throw TensorError.invalidBackward("\(workload.label): loss became \(loss)") }
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            peaks.append(peak)
        }
        let median = seconds.sorted()[seconds.count / 2]
        // The loss scaler reads the gradients' finiteness mid-step, so an fp16 step is two submits and
        // the timestamps hold the second only: profile one more step without the scaler (the same
        // kernels but its unscale and check).
        if scaler != nil {
            scaler = nil
            _ = try step()
        }
        let times = try context.stream.dispatchTimes()
        let gpu = times.reduce(0) { $0 + $1.seconds }
        var families: [String: Double] = [:]
        for (kernel, time) in times { families[Self.family(of: kernel), default: 0] += time }
        let profile = families.sorted { $0.value > $1.value }.map { ["family": $0.key, "ms": ($0.value * 1e6).rounded() / 1e3,
                                                                      "share": ($0.value / max(gpu, 1e-12) * 1000).rounded() / 1000] }
        let rate = Double(batchSize) / median
        let lastPeak = peaks.last ?? secondPeak
        let format = "%@: %.1f images/s (%.1f ms/step, %d dispatches, GPU busy %.1f ms, peak %.1f MiB)\n"
        let label = workload.label + (precision.isReduced ? " \(precision)" : "")
        FileHandle.standardError.write(Data(String(format: format, label, rate, median * 1e3, times.count, gpu * 1e3,
                                                   Double(lastPeak) / 1048576).utf8))
        var row: [String: Any] = [
            "model": label, "key": workload.key, "precision": precision.rawValue, "batch_size": batchSize, "input": [channels, side, side],
            "classes": classes,
            "images_per_second": (rate * 10).rounded() / 10, "ms_per_step": (median * 1e6).rounded() / 1e3,
            "dispatches_per_step": times.count, "gpu_ms_per_step": (gpu * 1e6).rounded() / 1e3, "profile": profile,
            "peak_arena_bytes": Int(lastPeak), "peak_arena_bytes_step_2": Int(secondPeak),
            "peak_arena_bytes_max_timed_step": Int(peaks.max() ?? secondPeak), "peak_grows": (peaks.max() ?? 0) > secondPeak,
        ]
        if let teacher = workload.teacher {
            row["student"] = workload.student
            row["teacher"] = teacher
            row["teacher_folded"] = workload.foldsTeacher
        }
        return row
    }

    /// The kernel family a shader belongs to (what the profile groups by).
    static func family(of kernel: String) -> String {
        for (prefix, family) in [("conv2d", "conv2d"), ("matmul", "gemm"), ("batchnorm", "batchnorm"), ("pool", "pooling"),
                                 ("softmax", "softmax/loss"), ("cross_entropy", "softmax/loss"), ("sgd", "optimizer"),
                                 ("adamw", "optimizer"), ("relu", "relu"), ("broadcast", "element-wise"), ("elementwise", "element-wise"),
                                 ("reduce", "reduction"), ("top_k", "reduction"), ("copy", "copy")]
        where kernel.hasPrefix(prefix) {
            return family
        }
        return kernel
    }

    /// A Markdown table with each row's throughput, peak arena memory (step 2 and the last step) and
    /// its three largest kernel families; with `peers` (keyed by ``Workload/key``), PyTorch's rate and the ratio.
    static func markdown(_ report: [String: Any], peers: [String: Double] = [:]) -> String {
        let peerColumns = peers.isEmpty ? "" : " PyTorch CPU images/s | Retort / PyTorch |"
        var lines = ["| step | batch | images/s | ms/step | dispatches | peak MiB (step 2 / last) "
                        + "| top kernel families (share of GPU time) |" + peerColumns,
                     "|---|---|---|---|---|---|---|" + (peers.isEmpty ? "" : "---|---|")]
        func mebibytes(_ value: Any?) -> String { String(format: "%.1f", Double(value as? Int ?? 0) / 1048576) }
        for row in report["results"] as? [[String: Any]] ?? [] {
            let profile = (row["profile"] as? [[String: Any]] ?? []).prefix(3)
                .map { "\($0["family"] ?? "") \(Int(((($0["share"] as? Double) ?? 0) * 100).rounded()))%" }.joined(separator: ", ")
            let peak = "\(mebibytes(row["peak_arena_bytes_step_2"])) / \(mebibytes(row["peak_arena_bytes"]))"
            let cells = ["model", "batch_size", "images_per_second", "ms_per_step", "dispatches_per_step"].map { "\(row[$0] ?? "")" }
            var line = "| " + (cells + [peak, profile]).joined(separator: " | ") + " |"
            if let key = row["key"] as? String, let peer = peers[key], let ours = row["images_per_second"] as? Double {
                line += " \(peer) | \(String(format: "%.2f", ours / peer))× |"
            } else if !peers.isEmpty { line += " – | – |" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
