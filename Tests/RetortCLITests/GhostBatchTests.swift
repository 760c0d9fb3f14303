import Foundation
import XCTest

/// `--ghost-batches N`: one process training as N data-parallel ranks with per-rank batch norm do —
/// the single-process reference for `mpirun -np N` (DDP's per-replica batch statistics).
final class GhostBatchTests: XCTestCase {
    private func folder(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-ghost-\(name)-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// 297 images in batches of 64: the last batch has 41, so the ranks' shards are 20 and 21 rows.
    private let common = ["--model", "plane2", "--dataset", "fashion-mnist", "--limit", "297", "--batch-size", "64", "--lr", "0.05",
                          "--seed", "5", "--epochs", "1"]

    func testTwoRanksWithPerRankBatchNormEqualTwoGhostBatchesBitForBit() throws {
        let ranks = folder("ranks"), ghosts = folder("ghosts"), whole = folder("whole")
        let parallel = try MPIRun.run(ranks: 2, ["train"] + common + ["--out", ranks])
        XCTAssertEqual(parallel.status, 0, parallel.output + parallel.errors)
        let ghosted = try RetortProcess.run(["train"] + common + ["--ghost-batches", "2", "--out", ghosts])
        XCTAssertEqual(ghosted.status, 0, ghosted.output + ghosted.errors)
        let plain = try RetortProcess.run(["train"] + common + ["--out", whole])
        XCTAssertEqual(plain.status, 0, plain.output + plain.errors)

        // Weights, running statistics (rank 0's / the first ghost batch's) and optimizer state.
        for file in ["last.safetensors", "last.optimizer.safetensors", "best.safetensors"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: ranks + "/" + file))
            let b = try Data(contentsOf: URL(fileURLWithPath: ghosts + "/" + file))
            XCTAssert(a == b, "\(file) differs between 2 ranks and 2 ghost batches")
        }
        // The metrics (sharded evaluation included) agree, except for timing.
        XCTAssertEqual(try metrics(ranks), try metrics(ghosts))
        // The test can fail: the whole batch normalized at once trains differently.
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: whole + "/last.safetensors")),
                          try Data(contentsOf: URL(fileURLWithPath: ranks + "/last.safetensors")))
        XCTAssert(parallel.output.contains("rank 0/2") && parallel.output.contains("rank 1/2"), parallel.output)
    }

    /// `chain` under mpirun: rank 0 runs the chain and relays each stage; every stage equals the
    /// single-process chain with ghost batches.
    func testAChainOnTwoRanksEqualsTheChainWithTwoGhostBatches() throws {
        let ranks = folder("chain-ranks"), ghosts = folder("chain-ghosts")
        let chain = ["chain", "--models", "plane4,plane2", "--dataset", "fashion-mnist", "--limit", "297", "--batch-size", "64",
                     "--epochs", "1", "--seed", "5"]
        let parallel = try MPIRun.run(ranks: 2, chain + ["--out", ranks])
        XCTAssertEqual(parallel.status, 0, parallel.output + parallel.errors)
        let ghosted = try RetortProcess.run(chain + ["--ghost-batches", "2", "--out", ghosts])
        XCTAssertEqual(ghosted.status, 0, ghosted.output + ghosted.errors)
        for stage in ["0-plane4", "1-plane2"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(ranks)/\(stage)/best.safetensors"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(ghosts)/\(stage)/best.safetensors"))
            XCTAssert(a == b, "stage \(stage) differs between 2 ranks and 2 ghost batches")
        }
        XCTAssert(FileManager.default.fileExists(atPath: ranks + "/chain.json"))
    }

    func testABatchCoupledLossIsRefusedWithGhostBatches() throws {
        let run = try RetortProcess.run(["selfdistill", "--model", "plane2", "--method", "bake", "--limit", "128", "--batch-size", "64",
                                         "--epochs", "1", "--ghost-batches", "2", "--out", folder("bake")])
        XCTAssertEqual(run.status, 1, run.output + run.errors)
        XCTAssert(run.errors.contains("bake loss couples the samples of a batch"), run.errors)
    }

    /// Each epoch's metrics without the timing fields.
    private func metrics(_ run: String) throws -> [[String: Double]] {
        try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return object.filter { !["seconds", "images_per_s"].contains($0.key) }.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
    }
}
