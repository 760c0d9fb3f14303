import Foundation
import RetortCheckpoint
import XCTest

/// `retort online` as a user runs it: each method for one epoch on 256 Fashion-MNIST images.
final class OnlineCommandTests: XCTestCase {
    private func folder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-online-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private let common = ["--dataset", "fashion-mnist", "--limit", "256", "--batch-size", "64", "--epochs", "1", "--lr", "0.01", "--seed", "1"]

    /// Checks the run folder: a metrics line whose `networks` holds each name with its metrics, and
    /// each network's checkpoints; returns the metrics line.
    @discardableResult
    private func checkRun(_ out: String, names: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1, file: file, line: line)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any], file: file, line: line)
        let networks = try XCTUnwrap(metrics["networks"] as? [String: [String: Any]], file: file, line: line)
        XCTAssertEqual(Set(networks.keys), Set(names), file: file, line: line)
        for name in names {
            let entry = networks[name] ?? [:]
            for key in ["test_top1", "test_top5", "test_loss", "test_ece", "train_loss", "train_acc", "agreement", "predictive_kl"] {
                XCTAssertNotNil(entry[key] as? Double, "\(name) lacks \(key)", file: file, line: line)
            }
            for suffix in ["last.safetensors", "best.safetensors", "last.optimizer.safetensors"] {
                XCTAssert(FileManager.default.fileExists(atPath: "\(out)/\(name).\(suffix)"), "\(name).\(suffix)", file: file, line: line)
            }
        }
        return metrics
    }

    func testEachMethodRunsAndReportsEveryNetworkUnderItsName() throws {
        let dml = folder()
        let dmlRun = try RetortProcess.run(["online", "--models", "plane2,plane2,plane4", "--method", "dml", "--out", dml] + common)
        XCTAssertEqual(dmlRun.status, 0, dmlRun.output + dmlRun.errors)
        try checkRun(dml, names: ["plane2-a", "plane2-b", "plane4"])
        for name in ["plane2-a", "plane2-b", "plane4"] { XCTAssert(dmlRun.output.contains("epoch 1/1 \(name): train loss"), dmlRun.output) }
        XCTAssert(FileManager.default.fileExists(atPath: dml + "/summary.md") && FileManager.default.fileExists(atPath: dml + "/config.json"))
        // Each network's checkpoints record the inputs they were trained on, for eval, predict and distill.
        for file in ["plane4.last.safetensors", "plane4.best.safetensors"] {
            let metadata = try SafeTensors(contentsOf: URL(fileURLWithPath: dml + "/" + file)).metadata
            XCTAssertNotNil(metadata["normalization_mean"], "\(file): \(metadata)")
            XCTAssertEqual(metadata["label_smoothing"], "0.0", file)
        }

        let switokd = folder()
        let switRun = try RetortProcess.run(["online", "--models", "plane4,plane2", "--method", "switokd", "--lrs", "0.01,0.02", "--out", switokd] + common)
        XCTAssertEqual(switRun.status, 0, switRun.output + switRun.errors)
        let switMetrics = try checkRun(switokd, names: ["plane4", "plane2"])
        let counters = try XCTUnwrap(switMetrics["counters"] as? [String: Int])
        XCTAssertEqual(Set(counters.keys), ["expert_steps", "learning_steps", "switches"])
        XCTAssertEqual((counters["expert_steps"] ?? 0) + (counters["learning_steps"] ?? 0), 4, "256 images in batches of 64")
        let modes = try String(contentsOfFile: switokd + "/modes.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(modes.first, "epoch,step,mode,G,delta,s_label,t_label")
        XCTAssertEqual(modes.count, 5)
        let lr = ((switMetrics["networks"] as? [String: [String: Any]])?["plane2"]?["lr"] as? Double)
        XCTAssertEqual(lr, 0.02, "--lrs gives the second network its own rate")
        XCTAssert(switRun.output.contains("switokd: expert_steps"), switRun.output)

        let bdkd = folder()
        let bdkdRun = try RetortProcess.run(["online", "--models", "plane4,plane2", "--method", "bdkd", "--out", bdkd] + common)
        XCTAssertEqual(bdkdRun.status, 0, bdkdRun.output + bdkdRun.errors)
        try checkRun(bdkd, names: ["plane4", "plane2"])

        // SOKD needs a pretrained teacher: train one first.
        let teacher = folder()
        let trained = try RetortProcess.run(["train", "--model", "plane4", "--out", teacher] + common)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        let sokd = folder()
        let sokdRun = try RetortProcess.run(["online", "--models", "plane4,plane2", "--method", "sokd", "--teacher-weights", teacher + "/best.safetensors",
                                             "--out", sokd] + common)
        XCTAssertEqual(sokdRun.status, 0, sokdRun.output + sokdRun.errors)
        try checkRun(sokd, names: ["plane4-aux", "plane2"])
        let frozen = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sokd + "/frozen.json"))) as? [String: [String: Double]]
        XCTAssertNotNil(frozen?["plane4"]?["test_top1"], "the frozen teacher is measured once")
        XCTAssert(sokdRun.output.contains("frozen plane4: test loss"), sokdRun.output)

        // Resume continues a finished run to a further epoch.
        let resumed = try RetortProcess.run(["online", "--resume", dml, "--epochs", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.output + resumed.errors)
        XCTAssert(resumed.output.contains("resuming at epoch 2"), resumed.output)
        XCTAssertEqual(try String(contentsOfFile: dml + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").count, 2)
    }

    /// SwitOKD with three networks: one switch per teacher→student pair, counted and logged under
    /// the pair's name; a teacher steps only on the steps where one of its pairs is learning.
    func testSwitOKDTopologiesLogAModePerPair() throws {
        for (topology, models, names, pairs) in [("1t2s", "plane4,plane2,plane2", ["plane4", "plane2-a", "plane2-b"], [(0, 1), (0, 2)]),
                                                 ("2t1s", "plane4,plane4,plane2", ["plane4-a", "plane4-b", "plane2"], [(0, 2), (1, 2)])] {
            let out = folder()
            let run = try RetortProcess.run(["online", "--models", models, "--method", "switokd", "--topology", topology, "--out", out]
                                            + common)
            XCTAssertEqual(run.status, 0, run.output + run.errors)
            let metrics = try checkRun(out, names: names)
            let switches = pairs.map { "\(names[$0.0])→\(names[$0.1])" }
            let counters = try XCTUnwrap(metrics["counters"] as? [String: Int])
            let counterNames = ["expert_steps", "learning_steps", "switches"]
            XCTAssertEqual(Set(counters.keys), Set(switches.flatMap { pair in counterNames.map { "\(pair) \($0)" } }))
            for pair in switches {
                let steps = (counters["\(pair) expert_steps"] ?? 0) + (counters["\(pair) learning_steps"] ?? 0)
                XCTAssertEqual(steps, 4, "\(topology) \(pair)")
            }
            let rows = try String(contentsOfFile: out + "/modes.csv", encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",") }
            let diagnostics = ["mode", "G", "delta", "s_label", "t_label"]
            let header = ["epoch", "step"] + switches.flatMap { pair in diagnostics.map { "\(pair) \($0)" } }
            XCTAssertEqual(rows.first?.map(String.init), header)
            XCTAssertEqual(rows.count, 5, "a row per step")
            // Each network's optimizer steps: a teacher on the steps where one of its pairs learns, a student on every step.
            let updates = try XCTUnwrap(metrics["updates"] as? [String: Int])
            for (index, name) in names.enumerated() {
                let own = pairs.indices.filter { pairs[$0].0 == index }
                let expected = own.isEmpty ? 4 : rows.dropFirst().filter { row in own.contains { row[2 + 5 * $0] == "learning" } }.count
                XCTAssertEqual(updates[name], expected, "\(topology) \(name)")
            }
            for (pair, index) in zip(switches, 0...) {
                let learning = rows.dropFirst().filter { $0[2 + 5 * index] == "learning" }.count
                XCTAssertEqual(counters["\(pair) learning_steps"], learning, "counters match modes.csv")
            }
            let summary = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
            XCTAssert(summary.contains("- method: switokd \(topology)"), summary)
            XCTAssert(summary.contains(switches.joined(separator: ", ")), summary)
            XCTAssert(summary.contains("\(switches[0]) expert_steps"), summary)
            XCTAssert(run.output.contains("switokd \(topology): \(switches[0]) expert_steps"), run.output)
        }
    }

    func testUsageErrorsExitWithTwo() throws {
        let cases: [(arguments: [String], message: String)] = [
            (["--models", "plane4,plane2", "--method", "sokd", "--limit", "64"], "sokd needs the pretrained teacher's weights"),
            (["--models", "plane4,plane2,plane2", "--method", "switokd"],
             "switokd with three networks needs --topology 1t2s (--models T,S1,S2) or 2t1s"),
            (["--models", "plane4,plane2", "--method", "switokd", "--topology", "1t2s"],
             "--topology 1t2s trains 3 networks (--models T,S1,S2), got 2"),
            (["--models", "plane4,plane2,plane2", "--method", "bdkd"],
             "BD-KD's paper defines its losses for one teacher and one student only"),
            (["--models", "plane4,plane2,plane2", "--method", "dml", "--topology", "1t2s"], "topology applies to --method switokd only"),
        ]
        for (arguments, message) in cases {
            let run = try RetortProcess.run(["online"] + arguments)
            XCTAssertEqual(run.status, 2, arguments.joined(separator: " "))
            XCTAssert(run.errors.contains(message), run.errors)
        }
        let unsupported = try RetortProcess.run(["online", "--models", "vgg8,plane2", "--method", "sokd", "--teacher-weights", "/nonexistent.safetensors",
                                                 "--limit", "64", "--out", folder()])
        XCTAssertEqual(unsupported.status, 1)
        XCTAssert(unsupported.errors.contains("vgg8 has no auxiliary-branch point"), unsupported.errors)
    }
}
