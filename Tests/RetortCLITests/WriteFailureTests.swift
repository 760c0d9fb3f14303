import Foundation
import XCTest

/// Writes that fail — a full disk (a file-size limit makes every write past it fail with EFBIG, as a
/// full disk fails with ENOSPC), or a file where the run folder should be — stop the run with an
/// error naming the path and a non-zero exit, and leave the previous checkpoint intact and loadable.
final class WriteFailureTests: XCTestCase {
    private func folder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-write-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private let tiny = ["--model", "plane2", "--limit", "64", "--batch-size", "32", "--seed", "1"]

    /// `retort` under `sh` with writes limited to `blocks` 512-byte blocks per file and SIGXFSZ
    /// ignored (the child inherits it), so a write past the limit fails instead of killing it.
    private func runLimited(_ arguments: [String], blocks: Int) throws -> RetortProcess.Run {
        let quoted = ([RetortProcess.binary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        return try RetortProcess.run(["-c", "trap '' XFSZ; ulimit -f \(blocks); exec " + quoted.joined(separator: " ")],
                                     executable: URL(fileURLWithPath: "/bin/sh"))
    }

    func testAFullDiskStopsTheRunAndKeepsTheLastCheckpoint() throws {
        let run = folder()
        let first = try RetortProcess.run(["train"] + tiny + ["--epochs", "1", "--out", run])
        XCTAssertEqual(first.status, 0, first.output + first.errors)
        let last = URL(fileURLWithPath: run + "/last.safetensors")
        let before = try Data(contentsOf: last), metrics = try Data(contentsOf: URL(fileURLWithPath: run + "/metrics.jsonl"))
        XCTAssertGreaterThan(before.count, 20 * 1024, "larger than the limit below, so its rewrite fails")

        // 20 blocks (10 KiB in sh's 512-byte blocks, 20 KiB in 1 KiB ones) hold config.json but no checkpoint.
        let full = try runLimited(["train", "--resume", run, "--epochs", "2"], blocks: 20)
        XCTAssertEqual(full.status, 1, full.output + full.errors)
        XCTAssert(full.errors.contains("cannot write safetensors file '\(run)/"), full.errors)
        XCTAssert(full.errors.contains("File too large") && full.errors.contains("the previous file is left as it was"), full.errors)
        XCTAssertEqual(try Data(contentsOf: last), before, "the previous checkpoint is intact")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/metrics.jsonl")), metrics)
        let debris = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(debris, [], "no temporary files left")

        // With room again, the run continues from that checkpoint.
        let resumed = try RetortProcess.run(["train", "--resume", run, "--epochs", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.output + resumed.errors)
        XCTAssert(resumed.output.contains("resuming at epoch 2"), resumed.output)
    }

    func testAFileWhereTheRunFolderShouldBeIsRefused() throws {
        let file = folder()
        try Data("keep".utf8).write(to: URL(fileURLWithPath: file))
        for out in [file, file + "/run"] {
            let result = try RetortProcess.run(["train"] + tiny + ["--epochs", "1", "--out", out])
            XCTAssertEqual(result.status, 1, result.errors)
            XCTAssert(result.errors.contains("--out \(out): \(file) is a file, not a folder"), result.errors)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), Data("keep".utf8))
    }
}
