import Foundation
import XCTest

/// `mpirun -np N retort train|distill …` as a user runs it (Open MPI, 2 ranks sharing this machine's
/// lavapipe device): what data-parallel training guarantees bit for bit, what rank 0 alone writes, and
/// how the job ends when its settings are wrong, a rank fails or a rank is killed — with an error and a
/// non-zero exit within seconds, never a hang (every job runs under ``MPIRun``'s watchdog).
final class DataParallelTests: XCTestCase {
    /// The first 1,024 training and test images of Fashion-MNIST, read at once by every process.
    static let data = FileManager.default.temporaryDirectory.appending(path: "retort-ddp-fashion-mnist-\(getpid())")
    /// 16 steps of 64 per epoch; the test split's 1,024 images are 3 evaluation batches of 500, 500 and
    /// 24: over 2 ranks, uneven shards (rank 0 takes 1 batch, rank 1 takes 2), with no padding.
    static let images = 1024
    static let testBatches = (images + 499) / 500

    override class func setUp() {
        super.setUp()
        do {
            try FashionMNISTSubset.write(count: images, to: data)
        } catch {
            XCTFail("could not write the Fashion-MNIST subset: \(error)")
        }
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: data)
        super.tearDown()
    }

    /// `retort train` of the tiny model every run here trains (10k parameters).
    private let train = ["train", "--model", "plane2"]

    /// A run's data and optimizer flags, and its run folder.
    private func flags(epochs: Int, out: URL, batchSize: Int = 64, learningRate: String = "0.05") -> [String] {
        ["--dataset", "fashion-mnist", "--data-dir", Self.data.path, "--batch-size", "\(batchSize)", "--lr", learningRate,
         "--seed", "1", "--epochs", "\(epochs)", "--out", out.path]
    }

    private func folder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "retort-ddp-\(name)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    // MARK: Bit-identical to one process

    /// One rank under mpirun is the plain trainer; two ranks that each train on the whole global batch
    /// (`RETORT_DDP_REPLICATE=1`) average two equal gradients, which is exact, so they end with the plain
    /// trainer's weights and optimizer state bit for bit — and, evaluating on uneven shards, with its
    /// test metrics exactly.
    func testOneRankAndTwoReplicatedRanksEqualThePlainTrainerBitForBit() throws {
        XCTAssertEqual(Self.testBatches % 2, 1, "an odd number of evaluation batches: the shards are uneven")
        let plain = folder("plain"), one = folder("one"), two = folder("two")
        let reference = try RetortProcess.run(train + flags(epochs: 2, out: plain))
        XCTAssertEqual(reference.status, 0, reference.output + reference.errors)
        XCTAssert(reference.output.contains("\(Self.images) training and \(Self.images) test images"), reference.output)

        let single = try MPIRun.run(ranks: 1, train + flags(epochs: 2, out: one))
        XCTAssertEqual(single.status, 0, single.output + single.errors)
        XCTAssert(single.output.contains("rank 0/1"), single.output)
        try assertSameRun(one, plain, "mpirun -np 1")

        let replicated = try MPIRun.run(ranks: 2, train + flags(epochs: 2, out: two), environment: ["RETORT_DDP_REPLICATE": "1"])
        XCTAssertEqual(replicated.status, 0, replicated.output + replicated.errors)
        try assertSameRun(two, plain, "2 ranks on the whole batch")
    }

    /// Two ranks on their halves of each batch: the run succeeds (the trainer checks after every
    /// epoch that the ranks' weights are bit-identical, and throws otherwise), rank 0 alone writes the
    /// run folder and the progress, every rank prints its device line, and the test metrics it wrote
    /// (sharded evaluation) are those of `retort eval` of its weights in one process.
    func testTwoShardedRanksWriteOneRunWhoseMetricsAreTheSingleProcessEvaluation() throws {
        let run = folder("sharded")
        let job = try MPIRun.run(ranks: 2, train + flags(epochs: 2, out: run))
        XCTAssertEqual(job.status, 0, job.output + job.errors)
        for rank in 0..<2 {
            XCTAssertEqual(job.output.components(separatedBy: "rank \(rank)/2 (local \(rank)/2): device: ").count - 1, 1, job.output)
        }
        XCTAssertEqual(job.output.components(separatedBy: "plane2 on fashion-mnist:").count - 1, 1, "one progress stream:\n\(job.output)")
        XCTAssertEqual(job.output.components(separatedBy: "epoch 2/2: train loss").count - 1, 1, job.output)
        XCTAssertEqual(job.output.components(separatedBy: "best test top-1").count - 1, 1, job.output)
        let files = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
        // Rank 0 alone writes the run's files: one TensorBoard event file (its name holds the time and pid), and these.
        XCTAssertEqual(files.filter { $0.hasPrefix("events.out.tfevents.") }.count, 1, "\(files)")
        XCTAssertEqual(files.filter { !$0.hasPrefix("events.out.tfevents.") },
                       ["best-test.json", "best.optimizer.safetensors", "best.safetensors", "config.json", "last.optimizer.safetensors",
                        "last.safetensors", "metrics.jsonl", "report.html", "run.json", "summary.md"])
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appending(path: "run.json"))) as? [String: Any]
        XCTAssertEqual(record?["ranks"] as? Int, 2, "run.json records the ranks")
        let metrics = try Self.metrics(of: run)
        XCTAssertEqual(metrics.map { $0["epoch"] as? Int }, [1, 2])

        // One process evaluates the saved weights on the whole test split.
        let last = try XCTUnwrap(metrics.last)
        let evaluation = try RetortProcess.run(["eval", "--model", "plane2", "--weights", run.appending(path: "last.safetensors").path,
                                                "--dataset", "fashion-mnist", "--data-dir", Self.data.path])
        XCTAssertEqual(evaluation.status, 0, evaluation.output + evaluation.errors)
        let printed = try XCTUnwrap(Self.evaluation(in: evaluation.output), evaluation.output)
        XCTAssertEqual(printed.images, Self.images)
        let top1 = try XCTUnwrap(last["test_top1"] as? Double), loss = try XCTUnwrap(last["test_loss"] as? Double)
        // Counts exactly (a percentage with 2 decimals tells 1,024 counts apart); the loss to the 4 decimals printed.
        XCTAssertEqual((top1 * Double(Self.images)).rounded(), top1 * Double(Self.images), "the top-1 of \(Self.images) images is a count")
        XCTAssertEqual(Int((printed.top1 / 100 * Double(Self.images)).rounded()), Int((top1 * Double(Self.images)).rounded()),
                       "correct test images: one process vs the 2-rank run's sharded evaluation")
        XCTAssertEqual(printed.loss, loss, accuracy: 0.000_05 + 1e-6)

        // The logits one process computes give the run's loss to 1e-6 and its count exactly.
        let predictions = run.appending(path: "test-logits.safetensors")
        let predict = try RetortProcess.run(["predict", "--model", "plane2", "--weights", run.appending(path: "last.safetensors").path,
                                             "--dataset", "fashion-mnist", "--data-dir", Self.data.path, "--split", "test",
                                             "--out", predictions.path])
        XCTAssertEqual(predict.status, 0, predict.output + predict.errors)
        let (logits, labels) = try Self.logitsAndLabels(predictions)
        XCTAssertEqual(labels.count, Self.images)
        let classes = logits.count / labels.count
        var correct = 0, nll = 0.0
        for (row, label) in labels.enumerated() {
            let scores = logits[row * classes..<(row + 1) * classes].map(Double.init)
            let top = scores.max() ?? 0
            if scores.filter({ $0 > scores[label] }).isEmpty { correct += 1 }
            nll += top + log(scores.reduce(0) { $0 + exp($1 - top) }) - scores[label]
        }
        XCTAssertEqual(correct, Int((top1 * Double(Self.images)).rounded()))
        XCTAssertEqual(nll / Double(labels.count), loss, accuracy: 1e-6)
    }

    // MARK: Refused at the start

    func testABatchThatDoesNotSplitOverTheRanksIsAUsageError() throws {
        let run = folder("odd-batch")
        let job = try MPIRun.run(ranks: 2, train + flags(epochs: 1, out: run, batchSize: 63), timeout: 60)
        XCTAssertEqual(job.status, 2, job.output + job.errors)
        XCTAssert(job.errors.contains("--batch-size 63 does not divide evenly over 2 ranks"), job.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "nothing written")
    }

    /// Commands that do not run data-parallel say so under several ranks, and which ones do.
    func testCommandsThatDoNotRunDataParallelAreRefusedUnderSeveralRanks() throws {
        let online = try MPIRun.run(ranks: 2, ["online", "--models", "plane2,plane2", "--method", "dml", "--epochs", "1",
                                               "--out", folder("online").path], timeout: 60)
        XCTAssertEqual(online.status, 2, online.output + online.errors)
        XCTAssert(online.errors.contains("'online' does not run data-parallel yet: start it without mpirun (or with -np 1); "
                                         + "train, distill, selfdistill and chain run under mpirun"), online.errors)
        let evaluation = try MPIRun.run(ranks: 2, ["eval", "--model", "plane2", "--weights", "unused.safetensors"], timeout: 60)
        XCTAssertEqual(evaluation.status, 2, evaluation.output + evaluation.errors)
        XCTAssert(evaluation.errors.contains("'eval' does not run data-parallel yet"), evaluation.errors)
    }

    /// MPMD: each rank its own command line. The ranks compare their resolved settings before
    /// anything is written, and the message names the setting that differs.
    func testRanksStartedWithDifferentSettingsStopAtTheStartNamingTheSetting() throws {
        let run = folder("mismatch")
        let job = try MPIRun.run([MPIRun.App(ranks: 1, arguments: train + flags(epochs: 1, out: run, learningRate: "0.1")),
                                  MPIRun.App(ranks: 1, arguments: train + flags(epochs: 1, out: run, learningRate: "0.2"))],
                                 timeout: 60)
        XCTAssertNotEqual(job.status, 0, job.output + job.errors)
        XCTAssert(job.errors.contains("the ranks were started with different settings: rank 1 has '\"lr\" : 0.2,' where rank 0 has "
                                      + "'\"lr\" : 0.1,'"), job.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "nothing written")
    }

    /// A loss that couples the samples of a batch would see only each rank's rows: refused, naming
    /// it; a per-sample loss (KD) distills under 2 ranks, each running the teacher on its rows, and on
    /// replicated batches ends with the single process's weights bit for bit.
    func testCoupledLossesAreRefusedAndKDDistillsUnderTwoRanks() throws {
        let teacher = folder("teacher")
        let trained = try RetortProcess.run(train + flags(epochs: 1, out: teacher) + ["--limit", "256"])
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        func distill(_ loss: String, out: URL) -> [String] {
            ["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights", teacher.appending(path: "best.safetensors").path,
             "--loss", loss, "--limit", "512"] + flags(epochs: 1, out: out)
        }
        for loss in ["sp", "mixkd"] {
            let refused = try MPIRun.run(ranks: 2, distill(loss, out: folder(loss)), timeout: 60)
            XCTAssertEqual(refused.status, 1, refused.output + refused.errors)
            XCTAssert(refused.errors.contains("The \(loss) loss couples the samples of a batch, and split 2 ways (data-parallel ranks"),
                      refused.errors)
            XCTAssertFalse(refused.output.contains("epoch 1/1: train loss"), "nothing trained")
        }
        let run = folder("kd"), plain = folder("kd-plain"), replicated = folder("kd-replicated")
        let kd = try MPIRun.run(ranks: 2, distill("kd", out: run))
        XCTAssertEqual(kd.status, 0, kd.output + kd.errors)
        XCTAssert(kd.output.contains("0.9·kd; teachers: plane2") && kd.output.contains("| agreement "), kd.output)
        let metrics = try Self.metrics(of: run)
        XCTAssertEqual(metrics.count, 1)
        XCTAssertNotNil(metrics.first?["agreement"] as? Double, "\(metrics)")

        let reference = try RetortProcess.run(distill("kd", out: plain))
        XCTAssertEqual(reference.status, 0, reference.output + reference.errors)
        let copies = try MPIRun.run(ranks: 2, distill("kd", out: replicated), environment: ["RETORT_DDP_REPLICATE": "1"])
        XCTAssertEqual(copies.status, 0, copies.output + copies.errors)
        try assertSameRun(replicated, plain, "KD on 2 ranks on the whole batch")
    }

    // MARK: Faults

    /// A rank killed mid-run (kill -9: no handler, no message) ends the whole job within seconds with
    /// a non-zero exit; `--resume` under mpirun then ends with an uninterrupted run's weights, optimizer
    /// state and metrics, bit for bit.
    func testAKilledRankEndsTheJobAndResumeEndsBitEqualToAnUninterruptedRun() throws {
        let uninterrupted = folder("uninterrupted"), run = folder("killed")
        let arguments = train + ["--save-every-steps", "2"]
        let reference = try MPIRun.run(ranks: 2, arguments + flags(epochs: 2, out: uninterrupted))
        XCTAssertEqual(reference.status, 0, reference.output + reference.errors)

        let job = try MPIRun.Job([MPIRun.App(ranks: 2, arguments: arguments + flags(epochs: 2, out: run))])
        let checkpoint = run.appending(path: "last.safetensors")
        XCTAssert(job.wait(until: { FileManager.default.fileExists(atPath: checkpoint.path) }, timeout: MPIRun.watchdog),
                  "the first checkpoint\n\(job.outputSoFar)")
        let rank1 = try XCTUnwrap(job.ranks()[1], "rank 1's process")
        XCTAssertEqual(kill(rank1, SIGKILL), 0)
        let killed = Date()
        let ended = job.wait(timeout: 30)
        XCTAssertNotEqual(ended.status, 0, ended.output + ended.errors)
        XCTAssertLessThan(Date().timeIntervalSince(killed), 30, "the job ends after a rank dies")
        XCTAssertFalse(ended.output.contains("best test top-1"), "killed before the end:\n\(ended.output)")

        let resumed = try MPIRun.run(ranks: 2, ["train", "--resume", run.path])
        XCTAssertEqual(resumed.status, 0, resumed.output + resumed.errors)
        XCTAssert(resumed.output.contains("resuming at epoch"), resumed.output)
        try assertSameRun(run, uninterrupted, "resumed after a killed rank")
    }

    /// A rank that fails (here rank 1 alone is given a device that does not exist) reports its error
    /// and ends the whole job (MPI_Abort) while rank 0 waits for it, instead of leaving rank 0 hanging.
    func testARankThatFailsEndsTheWholeJobWithItsMessage() throws {
        let run = folder("device")
        let job = try MPIRun.run([MPIRun.App(ranks: 1, arguments: train + flags(epochs: 1, out: run)),
                                  MPIRun.App(ranks: 1, arguments: train + flags(epochs: 1, out: run),
                                             environment: ["RETORT_DEVICE": "no-such-device"])], timeout: 60)
        XCTAssertEqual(job.status, 1, job.output + job.errors)
        XCTAssert(job.errors.contains("error: rank 1/2: RETORT_DEVICE=\"no-such-device\" matches no usable device"), job.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appending(path: "metrics.jsonl").path), "nothing trained")
    }

    /// Plain `retort` links no MPI library (it loads Open MPI only under mpirun), so it starts on a
    /// machine without Open MPI.
    func testThePlainBinaryLinksNoMPI() throws {
        let ldd = try RetortProcess.run([RetortProcess.binary.path], executable: URL(fileURLWithPath: "/usr/bin/ldd"))
        XCTAssertEqual(ldd.status, 0, ldd.errors)
        XCTAssert(ldd.output.contains("libc.so"), ldd.output)
        XCTAssertFalse(ldd.output.contains("libmpi"), ldd.output)
    }

    // MARK: Helpers

    /// Asserts that two run folders hold the same weights and optimizer state bit for bit and the same
    /// metrics (timing aside).
    private func assertSameRun(_ run: URL, _ reference: URL, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for name in ["last.safetensors", "last.optimizer.safetensors", "best.safetensors"] {
            let a = try Data(contentsOf: run.appending(path: name)), b = try Data(contentsOf: reference.appending(path: name))
            XCTAssert(a == b, "\(what): \(name) differs from one process's", file: file, line: line)
        }
        let timing: Set = ["seconds", "images_per_s"]
        let metrics = try Self.metrics(of: run).map { $0.filter { !timing.contains($0.key) } as NSDictionary }
        let expected = try Self.metrics(of: reference).map { $0.filter { !timing.contains($0.key) } as NSDictionary }
        XCTAssertEqual(metrics.count, expected.count, what, file: file, line: line)
        XCTAssertEqual(metrics, expected, "\(what): metrics", file: file, line: line)
    }

    /// The lines of a run's `metrics.jsonl`.
    static func metrics(of run: URL) throws -> [[String: Any]] {
        try String(contentsOf: run.appending(path: "metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// The image count, top-1 (percent) and loss `retort eval` printed.
    static func evaluation(in output: String) -> (images: Int, top1: Double, loss: Double)? {
        guard let line = output.split(separator: "\n").last(where: { $0.contains("top-1") }),
              let match = line.firstMatch(of: /\((\d+) images\): top-1 ([0-9.]+)%.* loss ([0-9.]+)/),
              let images = Int(match.1), let top1 = Double(match.2), let loss = Double(match.3) else { return nil }
        return (images, top1, loss)
    }

    /// The `logits` (F32) and `labels` (I64) of a `retort predict` file.
    static func logitsAndLabels(_ url: URL) throws -> (logits: [Float], labels: [Int]) {
        let bytes = try Data(contentsOf: url)
        let headerSize = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<8 + headerSize)) as? [String: Any])
        func payload(_ name: String, dtype: String) throws -> Data {
            let entry = try XCTUnwrap(header[name] as? [String: Any], name)
            XCTAssertEqual(entry["dtype"] as? String, dtype)
            let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int], name)
            return bytes.subdata(in: 8 + headerSize + offsets[0]..<8 + headerSize + offsets[1])
        }
        let logits = try payload("logits", dtype: "F32").withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let labels = try payload("labels", dtype: "I64").withUnsafeBytes { $0.bindMemory(to: Int64.self).map { Int($0) } }
        return (logits, labels)
    }
}
