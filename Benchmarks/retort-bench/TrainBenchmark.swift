import Foundation
import Retort
import RetortCompute
import RetortNN

/// Training throughput of whole steps (forward, cross-entropy, backward, SGD update) on random
/// 3×32×32 images, after warm-up, with a profile of the last step by kernel family (GPU timestamps).
struct TrainBenchmark {
    let device: Device
    let models: [String]
    let batchSize: Int
    let steps: Int

    func run() throws -> [String: Any] {
        var rows: [[String: Any]] = []
        for name in models {
            let context = try Context(device: device, timestamps: true)
            let model = try ModelZoo.make(name, classes: 100, context: context, seed: 1)
            let optimizer = try SGDOptimizer(parameters: model.parameters(),
                                              options: .init(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4), context: context)
            var generator = SplitMix64(seed: 2)
            let x = try Tensor(generator.floats(batchSize * 3 * 32 * 32), shape: [batchSize, 3, 32, 32], context: context)
            let labels = (0..<batchSize).map { $0 % 100 }
            model.train()
            func step() throws -> Float {
                try optimizer.zeroGrad()
                let loss = try model(x).crossEntropy(labels: labels)
                try loss.backward()
                try optimizer.step()
                return try loss.item()  // one submit and wait per step
            }
            for _ in 0..<2 { _ = try step() }  // warm-up: pipelines, first-use compiles, allocations
            var seconds: [Double] = []
            for _ in 0..<steps {
                let start = DispatchTime.now().uptimeNanoseconds
                let loss = try step()
                guard loss.isFinite else { throw TensorError.invalidBackward("\(name): loss became \(loss)") }
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
            let median = seconds.sorted()[seconds.count / 2]
            let times = try context.stream.dispatchTimes()
            let gpu = times.reduce(0) { $0 + $1.seconds }
            var families: [String: Double] = [:]
            for (kernel, time) in times { families[Self.family(of: kernel), default: 0] += time }
            let profile = families.sorted { $0.value > $1.value }.map { ["family": $0.key, "ms": ($0.value * 1e6).rounded() / 1e3,
                                                                          "share": ($0.value / max(gpu, 1e-12) * 1000).rounded() / 1000] }
            let rate = Double(batchSize) / median
            FileHandle.standardError.write(Data(String(format: "%@: %.1f images/s (%.1f ms/step, %d dispatches, GPU busy %.1f ms)\n",
                                                       name, rate, median * 1e3, times.count, gpu * 1e3).utf8))
            rows.append(["model": name, "batch_size": batchSize, "images_per_second": (rate * 10).rounded() / 10,
                         "ms_per_step": (median * 1e6).rounded() / 1e3, "dispatches_per_step": times.count,
                         "gpu_ms_per_step": (gpu * 1e6).rounded() / 1e3, "profile": profile])
        }
        return ["benchmark": "train", "device": device.info.summary, "steps": steps, "results": rows]
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

    /// A Markdown table with each model's throughput and its three largest kernel families.
    static func markdown(_ report: [String: Any], peers: [String: Double] = [:]) -> String {
        var lines = ["| model | batch | images/s | ms/step | dispatches | top kernel families (share of GPU time) |" + (peers.isEmpty ? "" : " PyTorch CPU images/s | Retort / PyTorch |"),
                     "|---|---|---|---|---|---|" + (peers.isEmpty ? "" : "---|---|")]
        for row in report["results"] as? [[String: Any]] ?? [] {
            let profile = (row["profile"] as? [[String: Any]] ?? []).prefix(3)
                .map { "\($0["family"] ?? "") \(Int(((($0["share"] as? Double) ?? 0) * 100).rounded()))%" }.joined(separator: ", ")
            var line = "| \(row["model"] ?? "") | \(row["batch_size"] ?? "") | \(row["images_per_second"] ?? "") | \(row["ms_per_step"] ?? "") | \(row["dispatches_per_step"] ?? "") | \(profile) |"
            if let name = row["model"] as? String, let peer = peers[name], let ours = row["images_per_second"] as? Double {
                line += " \(peer) | \(String(format: "%.2f", ours / peer))× |"
            } else if !peers.isEmpty { line += " – | – |" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
