import Foundation
import RetortCheckpoint
import XCTest
@testable import retort

/// `mpirun -np 2 retort train --sync-bn` against one process with the same global batch: with
/// synchronized batch norm the two ranks, each holding half of every batch, train the same network
/// as one process, step after step; without it each rank normalizes its half alone and they do not.
final class SyncBatchNormTests: XCTestCase {
    /// One step per epoch (64 images, batch 64), the weights kept after each: `epoch-<n>` holds the
    /// weights after step n.
    private let common = ["train", "--model", "plane2", "--dataset", "fashion-mnist", "--limit", "64", "--batch-size", "64",
                          "--epochs", "5", "--save-every", "1", "--seed", "1"]

    private func folder(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-syncbn-\(name)-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testTwoRanksWithSyncBNMatchOneProcessEveryStepAndWithoutItDoNot() throws {
        let single = folder("one"), synchronized = folder("sync"), plain = folder("plain")
        let one = try RetortProcess.run(common + ["--out", single])
        XCTAssertEqual(one.status, 0, one.output + one.errors)
        let sync = try MPIRun.run(ranks: 2, common + ["--sync-bn", "--out", synchronized])
        XCTAssertEqual(sync.status, 0, sync.output + sync.errors)
        XCTAssert(sync.output.contains("--sync-bn: 2 batch norms normalize over the global batch of 2 ranks"), sync.output)
        let settings = try Data(contentsOf: URL(fileURLWithPath: synchronized + "/config.json"))
        let config = try JSONSerialization.jsonObject(with: settings) as? [String: Any]
        XCTAssertEqual(config?["sync-bn"] as? Bool, true)
        let perRank = try MPIRun.run(ranks: 2, common + ["--out", plain])
        XCTAssertEqual(perRank.status, 0, perRank.output + perRank.errors)

        var plainWorst = 0.0
        for epoch in 1...5 {
            let expected = try weights(single, epoch: epoch)
            let actual = try weights(synchronized, epoch: epoch)
            XCTAssertEqual(Set(actual.keys), Set(expected.keys))
            // Every parameter and running statistic, to 1e-5 relative.
            for (name, values) in expected {
                let worst = Self.worstExcess(try XCTUnwrap(actual[name]), values)
                XCTAssertLessThanOrEqual(worst, 1, "epoch-\(epoch) \(name): off by \(worst)× the tolerance 1e-5 + 1e-5·|b|")
            }
            // Per-rank statistics change the trained weights themselves, far beyond the tolerance.
            let unsynchronized = try weights(plain, epoch: epoch)
            for (name, values) in expected where !name.contains("running") {
                plainWorst = max(plainWorst, Self.worstExcess(try XCTUnwrap(unsynchronized[name]), values))
            }
        }
        XCTAssertGreaterThan(plainWorst, 10, "without --sync-bn two ranks of 32 rows should not match one process of 64")
    }

    /// A last batch that leaves a rank without rows is refused before training, naming the fix;
    /// one that leaves every rank a row, an even split, one process or no `--sync-bn` pass.
    func testALastBatchSmallerThanTheRanksIsRefused() throws {
        var settings = TrainingSettings()
        settings.batchSize = 64
        settings.synchronizesBatchNorms = true
        XCTAssertThrowsError(try TrainingJob.checkLastBatch(settings, images: 65, ranks: 2)) { error in
            XCTAssert("\(error)".contains("the last batch of each epoch holds 1 of the 65 training images, fewer than the 2 ranks"),
                      "\(error)")
        }
        XCTAssertThrowsError(try TrainingJob.checkLastBatch(settings, images: 130, ranks: 4))
        for (images, ranks) in [(64, 2), (66, 2), (65, 1), (60_000, 4)] {
            XCTAssertNoThrow(try TrainingJob.checkLastBatch(settings, images: images, ranks: ranks), "\(images) images, \(ranks) ranks")
        }
        settings.synchronizesBatchNorms = false
        XCTAssertNoThrow(try TrainingJob.checkLastBatch(settings, images: 65, ranks: 2))
    }

    /// `--sync-bn` is a switch of train, distill and selfdistill, kept in `config.json` (so `--resume`
    /// keeps it); the single-process commands do not take it.
    func testTheSwitchRoundTripsThroughTheRunFolderSettings() throws {
        let train = try TrainConfiguration.resolve(file: nil, flags: [:], switches: ["sync-bn"])
        XCTAssertTrue(train.training.synchronizesBatchNorms)
        XCTAssertFalse(try TrainConfiguration.resolve(file: nil, flags: [:], switches: []).training.synchronizesBatchNorms)
        let saved = try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: train.json)) as? [String: Any]
        XCTAssertEqual(saved?["sync-bn"] as? Bool, true)
        XCTAssertEqual(try TrainConfiguration.resolve(file: saved, flags: [:], switches: []), train)
        let distill = try DistillConfiguration.resolve(file: ["sync-bn": true, "student": "plane2", "teacher": ["plane4"],
                                                              "teacher-weights": ["t.safetensors"]], flags: [:], switches: [])
        XCTAssertTrue(distill.training.synchronizesBatchNorms)
        let selfDistill = try SelfDistillConfiguration.resolve(file: nil, flags: ["sync-bn": "true", "method": "zipf"], switches: [])
        XCTAssertTrue(selfDistill.training.synchronizesBatchNorms)
        XCTAssertThrowsError(try PruneConfiguration.resolve(file: ["sync-bn": true], flags: [:], switches: [])) { error in
            XCTAssert("\(error)".contains("unknown key 'sync-bn'"), "\(error)")
        }
        let refused = try RetortProcess.run(["online", "--sync-bn", "--epochs", "1"])
        XCTAssertEqual(refused.status, 2, refused.output + refused.errors)
    }

    /// The float tensors of `epoch-<n>.safetensors` in a run folder.
    private func weights(_ run: String, epoch: Int) throws -> [String: [Float]] {
        let file = try SafeTensors(contentsOf: URL(fileURLWithPath: run + "/epoch-\(epoch).safetensors"))
        return Dictionary(uniqueKeysWithValues: file.names.compactMap { name in
            file[name].flatMap { $0.dtype == .float32 ? (name, $0.floats()) : nil }
        })
    }

    /// The largest `|a − b| / (1e-5 + 1e-5·|b|)`: at most 1 when `a` is within the tolerance.
    private static func worstExcess(_ actual: [Float], _ expected: [Float]) -> Double {
        guard actual.count == expected.count else { return .infinity }
        var worst = 0.0
        for (a, b) in zip(actual, expected) {
            let bound: Double = 1e-5 + 1e-5 * abs(Double(b))
            worst = max(worst, abs(Double(a) - Double(b)) / bound)
        }
        return worst
    }
}
