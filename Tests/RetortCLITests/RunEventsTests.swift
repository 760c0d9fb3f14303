import Foundation
import RetortDistill
import RetortHostTestSupport
import XCTest
@testable import retort

/// Every run writes TensorBoard event files whose scalars, as TensorBoard loads them, are the run's
/// `metrics.jsonl` at step `epoch · steps per epoch`, plus the step loss every 50 steps; a resumed run
/// adds a file and TensorBoard still shows each epoch once; an online run writes a folder per network.
final class RunEventsTests: XCTestCase {
    private func folder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("retort-events-\(name)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// 256 images in batches of 8: 32 steps per epoch.
    private func common() throws -> [String] {
        let data = folder("data")
        try FashionMNISTSubset.write(count: 256, to: data)
        return ["--dataset", "fashion-mnist", "--data-dir", data.path, "--batch-size", "8", "--lr", "0.05", "--seed", "1"]
    }

    private let stepsPerEpoch = 32

    /// Tags of the epoch scalars and their `metrics.jsonl` keys.
    private static let epochTags = ["train/loss": "train_loss", "train/accuracy": "train_acc", "test/loss": "test_loss",
                                    "test/top1": "test_top1", "test/top5": "test_top5", "test/ece": "test_ece", "lr": "lr",
                                    "fidelity/agreement": "agreement", "fidelity/predictive_kl": "predictive_kl"]

    private func metricsLines(_ run: URL) throws -> [[String: Any]] {
        try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// Checks that `scalars` hold each epoch's metrics once, at its step, as 32-bit floats, and no other
    /// epoch scalars; returns the tags seen.
    @discardableResult
    private func checkEpochs(_ scalars: [TensorBoardEventReader.Scalar], _ lines: [[String: Any]],
                             file: StaticString = #filePath, line: UInt = #line) -> Set<String> {
        var expected: [String] = []
        for metrics in lines {
            let epoch = metrics["epoch"] as? Int ?? 0
            expected.append("epoch@\(epoch * stepsPerEpoch)=\(Float(epoch))")
            for (tag, key) in Self.epochTags {
                guard let value = metrics[key] as? Double else { continue }
                expected.append("\(tag)@\(epoch * stepsPerEpoch)=\(Float(value))")
            }
        }
        let epochScalars = scalars.filter { Self.epochTags[$0.tag] != nil || $0.tag == "epoch" }.map(\.description)
        XCTAssertEqual(epochScalars.sorted(), expected.sorted(), file: file, line: line)
        return Set(scalars.map(\.tag))
    }

    func testCounterNamesBecomeTagsTensorBoardGroups() {
        XCTAssertEqual(RunEvents.tag("modes", "expert_steps"), "modes/expert_steps")
        XCTAssertEqual(RunEvents.tag("modes", "T→S1 expert_steps"), "modes/T-S1/expert_steps")
        XCTAssertEqual(RunEvents.tag("modes", "S1→S2 switches"), "modes/S1-S2/switches")
        XCTAssertEqual(RunEvents.tag("modes", "a*b (c)"), "modes/a_b/_c_")
    }

    func testAnEpochWithoutTeachersHasNoFidelityScalars() throws {
        let line = #"{"epoch": 2, "lr": 0.05, "train_loss": 1, "train_acc": 0.5, "test_loss": 2, "test_top1": 0.25, "test_top5": 0.75, "#
            + #""seconds": 3, "images_per_s": 4}"#
        let metrics = try JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8))
        XCTAssertEqual(RunEvents.scalars(metrics).map(\.tag), ["train/loss", "train/accuracy", "test/loss", "test/top1", "test/top5",
                                                               "lr", "epoch"], "no timings: they differ between equal runs")
    }

    func testTrainLogsItsMetricsAndAResumedRunShowsEachEpochOnce() throws {
        let common = try common()
        let run = folder("train")
        let trained = try RetortProcess.run(["train", "--model", "plane2", "--epochs", "2", "--out", run.path] + common)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        let files = TensorBoardEventReader.eventFiles(in: run)
        XCTAssertEqual(files.count, 1, "\(files)")
        let events = try TensorBoardEventReader.events(in: files[0])
        XCTAssertEqual(events.first?.fileVersion, "brain.Event:2")
        var scalars = try TensorBoardEventReader.loadedScalars(in: run)
        let tags = checkEpochs(scalars, try metricsLines(run))
        XCTAssertEqual(tags, ["train/loss", "train/accuracy", "test/loss", "test/top1", "test/top5", "test/ece", "lr", "epoch",
                              "train/step_loss"])
        let stepLosses = scalars.filter { $0.tag == "train/step_loss" }
        XCTAssertEqual(stepLosses.map(\.step), [0, 50], "every 50 steps of the 64")
        XCTAssert(stepLosses.allSatisfy { $0.value.isFinite && $0.value > 0 }, "\(stepLosses)")

        // A third epoch: a second file, which restarts at step 64 and logs epoch 2's end again.
        let resumed = try RetortProcess.run(["train", "--resume", run.path, "--epochs", "3"])
        XCTAssertEqual(resumed.status, 0, resumed.output + resumed.errors)
        XCTAssertEqual(TensorBoardEventReader.eventFiles(in: run).count, 2)
        XCTAssertEqual(TensorBoardEventReader.eventFiles(in: run).first, files[0], "the new file sorts after the first")
        scalars = try TensorBoardEventReader.loadedScalars(in: run)
        checkEpochs(scalars, try metricsLines(run))
        XCTAssertEqual(scalars.filter { $0.tag == "train/step_loss" }, stepLosses)
    }

    func testDistillLogsFidelity() throws {
        let common = try common()
        let teacher = folder("teacher"), student = folder("student")
        let trained = try RetortProcess.run(["train", "--model", "plane2", "--epochs", "1", "--out", teacher.path] + common)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        let distilled = try RetortProcess.run(["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights",
                                               teacher.appendingPathComponent("best.safetensors").path, "--epochs", "1",
                                               "--out", student.path] + common)
        XCTAssertEqual(distilled.status, 0, distilled.output + distilled.errors)
        let tags = checkEpochs(try TensorBoardEventReader.loadedScalars(in: student), try metricsLines(student))
        XCTAssert(tags.isSuperset(of: ["fidelity/agreement", "fidelity/predictive_kl"]), "\(tags)")
    }

    func testOnlineLogsEachNetworkInItsFolderAndForceRemovesThem() throws {
        let common = try common()
        let run = folder("online")
        let arguments = ["online", "--models", "plane4,plane2", "--method", "switokd", "--epochs", "1", "--out", run.path] + common
        let online = try RetortProcess.run(arguments)
        XCTAssertEqual(online.status, 0, online.output + online.errors)
        let line = try XCTUnwrap(try metricsLines(run).first)
        let networks = try XCTUnwrap(line["networks"] as? [String: [String: Any]])
        let updates = try XCTUnwrap(line["updates"] as? [String: Int])
        for name in ["plane4", "plane2"] {
            let scalars = try TensorBoardEventReader.loadedScalars(in: run.appendingPathComponent(name))
            checkEpochs(scalars, [try XCTUnwrap(networks[name])])
            XCTAssertEqual(scalars.filter { $0.tag == "train/updates" }.map(\.value), [Float(updates[name] ?? -1)], name)
        }
        let root = try TensorBoardEventReader.loadedScalars(in: run)
        let counters = try XCTUnwrap(line["counters"] as? [String: Int])
        XCTAssertEqual(Set(root.filter { $0.tag.hasPrefix("modes/") }.map(\.description)),
                       Set(counters.map { "modes/\($0.key)@\(stepsPerEpoch)=\(Float($0.value))" }))
        XCTAssertEqual(root.filter { $0.tag == "train/step_loss" }.map(\.step), [0])

        // The network folders' event files belong to the run: --force removes them with the rest.
        let again = try RetortProcess.run(arguments + ["--force"])
        XCTAssertEqual(again.status, 0, again.output + again.errors)
        for folder in [run, run.appendingPathComponent("plane4"), run.appendingPathComponent("plane2")] {
            XCTAssertEqual(TensorBoardEventReader.eventFiles(in: folder).count, 1, folder.path)
        }
    }
}
