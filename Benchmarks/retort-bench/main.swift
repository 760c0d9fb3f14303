import Foundation
import RetortCompute

// retort-bench: machine-readable benchmarks of the runtime and kernels.
//
//   retort-bench dispatch [--rounds N]               per-dispatch overhead and submit+wait cost, as JSON
//   retort-bench kernels [--rounds N] [--only a,b] [--peers]
//                                                    kernel throughput: JSON on stdout, Markdown table on stderr;
//                                                    --peers adds PyTorch CPU and ncnn Vulkan ratios (Peers.swift)
//   retort-bench train [--model a,b] [--batch-size N] [--rounds N] [--distill] [--peers] [--precision fp32,fp16,bf16]
//                                                    training images/s, a per-kernel-family profile and the
//                                                    step's peak arena bytes; --distill times KD steps
//   retort-bench soak [--steps N] [--model NAME] [--batch-size N]
//                                                    N real training steps (default 1000): process RSS and
//                                                    arena bytes first/last/peak, which must stay flat
//   mpirun -np N --bind-to none retort-bench data-parallel [--model a,b] [--batch-size N] [--steps N] [--warm-up N]
//                                                    data-parallel Trainer steps: bytes all-reduced, all-reduce and
//                                                    gradient transfer ms and their share of the step (BenchmarkJob)
//   retort-bench data [--workers N] [--batch-size N] [--rounds N] [--images N] [--data-dir DIR] [--only a,b]
//                                                    loader images/s on generated JPEG folders, Retort vs torchvision
//   mpirun -np N --bind-to none retort-bench allreduce [--sizes MB,MB] [--rounds N]
//                                                    the raw all-reduce's time and bandwidth by message size

let usage = """
    usage: retort-bench <benchmark> [--rounds N]

    benchmarks:
      dispatch    per-dispatch cost of 1000 small dispatches in one command stream, and the cost of
                  one submit + fence wait (JSON on stdout)
      kernels     GFLOP/s or GB/s of each kernel family on benchmark shapes (JSON on stdout, a
                  Markdown table on stderr); --only gemm,conv keeps the cases whose name contains
                  one of the words; --peers also times the shared GEMM and conv cases in PyTorch
                  (CPU) and ncnn (Vulkan, same device) through Benchmarks/peers/peers.py and adds a
                  "peers" section with the ratios Retort / peer (`make bench-peers` installs them)
      train       training images/s (forward, backward, SGD update; after warm-up) of resnet8x4,
                  wrn_16_2 and plane6 on random 3×32×32 images (--model a,b to choose, --batch-size N,
                  default 64, --rounds N timed steps), with the share of GPU time per kernel family and
                  the peak arena bytes of step 2 and of the last step (equal: activations are recycled);
                  --distill times KD steps instead (frozen teacher forward in evaluation mode + student
                  step with 0.1·CE + 0.9·T²·KL, T 4): resnet32x4 → resnet8x4 on 3×32×32 (100 classes)
                  and plane10 → plane2 on 1×28×28 (10 classes), each with the teacher's batch norms
                  folded and unfolded; --peers also times the same steps in PyTorch on the CPU;
                  --precision fp32,fp16,bf16 times each step in each precision (mixed precision as
                  `retort train --precision`: autocast forward, fp32 loss, fp16 with loss scaling)
                  and adds each row's images/s and peak arena bytes relative to fp32's
      soak        --steps N (default 1000) real training steps (Trainer, DataLoader with its prefetch
                  thread, an evaluation and checkpoints every epoch) of --model (default plane2) on
                  Fashion-MNIST at --batch-size (default 64), with the process's resident memory and
                  the device arena's bytes in use after every step: first, after the first epoch,
                  last and peak (JSON on stdout); both must stay flat
      data        images/s of the training loader (RandomResizedCrop, flip, ImageNet normalization into
                  float batches of --batch-size, default 64, on --workers N threads, default the core
                  count) on generated JPEG folders: jpeg64 (2048 files of 64×64, samples 64×64, as
                  Tiny-ImageNet) and jpeg224 (512 files of 256–340 × 240–300, samples 224×224, as
                  ImageNet); --images N files in each; beside torchvision's ImageFolder +
                  DataLoader(num_workers=N) with the same transforms on the same files
                  (Benchmarks/peers/data_peer.py), one warm-up epoch then --rounds N timed epochs
                  (default 3) each; the files go to a temporary folder, or to --data-dir DIR, where
                  later runs reuse them; --only jpeg64 keeps one case. JSON on stdout, a table on stderr
      data-parallel
                  under `mpirun -np N --bind-to none` (or alone, as one process): --steps N (default 20)
                  data-parallel training steps of the Trainer, after --warm-up N (default 3), of each
                  --model (default resnet8x4,plane6; plane… on 1×28×28 with 10 classes, the others on
                  3×32×32 with 100) on random images, the global --batch-size (default 64) split over
                  the ranks: per step the median step ms, images/s, the bytes each rank all-reduces, the
                  all-reduce's ms (rank 0's, and the least and most over the ranks: the most includes
                  waiting for the slowest rank), the gradients' device read and write-back ms, and
                  their share of the step; rank 0 prints the report (JSON on stdout, a table on stderr)
      allreduce   under `mpirun -np N --bind-to none`: the float sum all-reduce of --sizes (megabytes,
                  default 0.1,1,4,16,64), --rounds N times each (default 20) after a warm-up round,
                  each from a barrier: the slowest rank's median ms and the algorithm and bus GB/s;
                  `--mca btl self,vader` (shared memory) or `--mca btl self,tcp` picks the transport
    """

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(status)
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(usage)
    exit(0)
}
/// Removes `--name VALUE` from the arguments and returns the value parsed by `parse`, or nil when
/// the option is absent; a missing or bad value exits with `hint`.
func takeOption<T>(_ name: String, from arguments: inout [String], hint: String, _ parse: (String) -> T?) -> T? {
    guard let index = arguments.firstIndex(of: name) else { return nil }
    guard index + 1 < arguments.count, let value = parse(arguments[index + 1]) else { fail("\(name) needs \(hint)", status: 2) }
    arguments.removeSubrange(index...index + 1)
    return value
}

func list(_ text: String) -> [String]? {
    let items = text.split(separator: ",").map(String.init)
    return items.isEmpty ? nil : items
}

let chosenModels = takeOption("--model", from: &arguments, hint: "a comma-separated list of zoo names", list)
let trainModels = chosenModels ?? ["resnet8x4", "wrn_16_2", "plane6"]
let precisions = takeOption("--precision", from: &arguments, hint: "a comma-separated list of fp32, fp16, bf16") { text in
    list(text).flatMap { items in
        let values = items.compactMap { Precision(rawValue: $0) }
        return values.count == items.count ? values : nil
    }
} ?? [Precision.float32]
let batchSize = takeOption("--batch-size", from: &arguments, hint: "an integer above 1") { Int($0).flatMap { $0 > 1 ? $0 : nil } } ?? 64
let filters = takeOption("--only", from: &arguments, hint: "a comma-separated list", list) ?? []
let chosenRounds = takeOption("--rounds", from: &arguments, hint: "a positive integer") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
let rounds = chosenRounds ?? 7
let chosenSteps = takeOption("--steps", from: &arguments, hint: "a positive integer") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
let warmUpSteps = takeOption("--warm-up", from: &arguments, hint: "a positive integer") { Int($0).flatMap { $0 > 0 ? $0 : nil } } ?? 3
let sizesHint = "a comma-separated list of megabytes above 0 (e.g. 0.1,1,4)"
let sizes = takeOption("--sizes", from: &arguments, hint: sizesHint) { (text: String) -> [Double]? in
    list(text).flatMap { items in
        let values = items.compactMap { Double($0) }.filter { $0 > 0 && $0.isFinite }
        return values.count == items.count ? values : nil
    }
} ?? [0.1, 1, 4, 16, 64]
let workers = takeOption("--workers", from: &arguments, hint: "a positive integer") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
let imageCount = takeOption("--images", from: &arguments, hint: "a positive integer") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
let dataDirectory = takeOption("--data-dir", from: &arguments, hint: "a folder") { $0 }
let peers = arguments.contains("--peers")
let distill = arguments.contains("--distill")
arguments.removeAll { $0 == "--peers" || $0 == "--distill" }
guard arguments.count == 1 else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}

if BenchmarkJob.names.contains(arguments[0]) {
    let job: BenchmarkJob
    do {
        job = try BenchmarkJob.launched()
    } catch {
        fail("\(error)", status: 1)
    }
    if arguments[0] == "allreduce" {
        guard let group = job.group else {
            fail("allreduce times the all-reduce between the ranks of a job: start it under mpirun "
                 + "(mpirun -np 2 --bind-to none retort-bench allreduce)", status: 2)
        }
        job.run {
            let report = try AllReduceBenchmark(group: group, megabytes: sizes, rounds: chosenRounds ?? 20).run()
            return (report, AllReduceBenchmark.markdown(report))
        }
    }
    if let group = job.group, batchSize % group.size != 0 {
        job.refuse("--batch-size \(batchSize) does not split evenly over \(group.size) ranks: give a multiple of \(group.size)")
    }
    job.run {
        let benchmark = DataParallelBenchmark(device: try job.device(), group: job.group,
                                              workloads: (chosenModels ?? ["resnet8x4", "plane6"]).map(DataParallelBenchmark.Workload.init),
                                              batchSize: batchSize, warmUpSteps: warmUpSteps, steps: chosenSteps ?? 20)
        let report = try benchmark.run()
        return (report, DataParallelBenchmark.markdown(report))
    }
}

if arguments[0] == "data" {
    let cases = [DataBenchmark.Case.tiny(images: imageCount ?? 2048), .imageNet(images: imageCount ?? 512)]
        .filter { filters.isEmpty || filters.contains($0.name) }
    let benchmark = DataBenchmark(cases: cases, workers: workers ?? ProcessInfo.processInfo.activeProcessorCount,
                                  batchSize: batchSize, epochs: chosenRounds ?? 3, directory: dataDirectory, peers: true)
    do {
        let report = try benchmark.run()
        FileHandle.standardError.write(Data((DataBenchmark.markdown(report) + "\n").utf8))
        print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        exit(0)
    } catch {
        fail("\(error)", status: 1)
    }
}

do {
    let device = try Device()
    FileHandle.standardError.write(Data("device: \(device.info.summary)\n".utf8))
    var report: [String: Any]
    switch arguments[0] {
    case "dispatch": report = try DispatchBenchmark(device: device, rounds: rounds).run()
    case "kernels":
        report = try KernelBenchmark(device: device, repetitions: rounds, filters: filters).run()
        FileHandle.standardError.write(Data((KernelBenchmark.markdown(report) + "\n").utf8))
        if peers {
            do {
                let comparison = try PeerComparison.locate(vulkanDevice: device.info.name)
                let section = try comparison.compare(report)
                report["peers"] = section
                FileHandle.standardError.write(Data((PeerComparison.markdown(section) + "\n").utf8))
            } catch {
                report["peers"] = ["error": error.description]
                FileHandle.standardError.write(Data("peers: not compared: \(error.description)\n".utf8))
            }
        }
    case "train":
        let workloads = distill ? TrainBenchmark.Workload.distillations : trainModels.map(TrainBenchmark.Workload.training)
        report = try TrainBenchmark(device: device, workloads: workloads, batchSize: batchSize, steps: rounds,
                                    precisions: precisions).run()
        var peerRates: [String: Double] = [:]
        if peers {
            do {
                let comparison = try PeerComparison.locate(vulkanDevice: device.info.name)
                peerRates = try comparison.trainingRates(of: workloads, batchSize: batchSize)
                report["peers"] = ["pytorch-cpu": peerRates]
            } catch {
                report["peers"] = ["error": error.description]
                FileHandle.standardError.write(Data("peers: not compared: \(error.description)\n".utf8))
            }
        }
        FileHandle.standardError.write(Data((TrainBenchmark.markdown(report, peers: peerRates) + "\n").utf8))
    case "soak":
        report = try SoakBenchmark(device: device, model: chosenModels?.first ?? "plane2", batchSize: batchSize,
                                   steps: chosenSteps ?? 1000).run()
    default:
        fail("unknown benchmark '\(arguments[0])'; benchmarks: dispatch, kernels, train, soak, data, data-parallel, allreduce", status: 2)
    }
    let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    fail("\(error)", status: 1)
}
