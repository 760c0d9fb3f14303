import Foundation
import XCTest
import RetortDistill

/// `retort prune` end to end on a small slice of Fashion-MNIST: PrUE one-shot and two rounds of
/// iterative pruning from a tiny trained teacher, whose pruned weights then teach `retort distill`.
final class PruneCommandTests: XCTestCase {
    private func folder(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-prune-\(name)-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private let data = ["--dataset", "fashion-mnist", "--limit", "256", "--batch-size", "64", "--seed", "1"]

    private func report(_ directory: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/pruning.json"))) as? [String: Any])
    }

    /// Checks that the saved teacher has zeros exactly where its masks have them; returns the masks'
    /// (pruned, total) counts.
    private func checkZeros(_ directory: String, file: StaticString = #filePath, line: UInt = #line) throws -> (pruned: Int, total: Int, names: [String]) {
        let weights = try SafeTensors(contentsOf: URL(fileURLWithPath: directory + "/best.safetensors"))
        let masks = try SafeTensors(contentsOf: URL(fileURLWithPath: directory + "/best.masks.safetensors"))
        var pruned = 0, total = 0
        for key in masks.names {
            let name = String(key.dropLast("_mask".count))
            let mask = masks[key]!.floats(), values = try XCTUnwrap(weights[name], "no weight for \(key)", file: file, line: line).floats()
            XCTAssertEqual(masks[key]!.shape, weights[name]!.shape, file: file, line: line)
            XCTAssertEqual(zip(mask, values).filter { $0 == 0 && $1 != 0 }.count, 0, "\(name): a pruned weight is not zero", file: file, line: line)
            XCTAssertEqual(zip(mask, values).filter { $0 == 1 && $1 == 0 }.count, 0, "\(name): a kept weight is zero", file: file, line: line)
            pruned += mask.filter { $0 == 0 }.count
            total += mask.count
        }
        return (pruned, total, masks.names)
    }

    func testPrUEAndIterativePruningWriteTeachersForDistill() throws {
        let teacher = folder("teacher")
        let trained = try RetortProcess.run(["train", "--model", "plane2", "--epochs", "1", "--out", teacher] + data)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        let dense = teacher + "/best.safetensors"

        // One-shot PrUE to 50% of the Conv2d weights, one epoch of fine-tuning.
        let prue = folder("prue")
        let oneShot = try RetortProcess.run(["prune", "--model", "plane2", "--weights", dense, "--method", "prue", "--sparsity", "0.5",
                                             "--epochs", "1", "--out", prue] + data)
        XCTAssertEqual(oneShot.status, 0, oneShot.output + oneShot.errors)
        XCTAssert(oneShot.output.contains("PrUE: class-mean target probabilities"), oneShot.output)
        XCTAssert(oneShot.output.contains("| stage | test top-1 |") && oneShot.output.contains("| fine-tuned |"), oneShot.output)
        let (pruned, total, names) = try checkZeros(prue)
        // plane2 on 1×28×28: Conv2d weights 16·1·9 + 16·16·9 = 2448; exactly round(0.5 · 2448) pruned; Linear untouched.
        XCTAssertEqual(names, ["layers.0.weight_mask", "layers.4.weight_mask"])
        XCTAssertEqual(total, 2448)
        XCTAssertEqual(pruned, 1224)
        let oneShotReport = try report(prue)
        let stages = try XCTUnwrap(oneShotReport["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.map { $0["stage"] as? String }, ["dense", "pruned", "fine-tuned"])
        XCTAssertEqual(stages[0]["sparsity-conv"] as? Double, 0)
        XCTAssertEqual(stages[2]["sparsity-conv"] as? Double, 0.5)
        XCTAssert(stages.allSatisfy { ($0["predictive-entropy"] as? Double).map { $0 > 0 && $0 <= log(10) } ?? false }, "\(stages)")
        XCTAssert(FileManager.default.fileExists(atPath: prue + "/finetune/best.safetensors"))
        XCTAssert(try String(contentsOfFile: prue + "/pruning.md", encoding: .utf8).contains("| pruned |"))

        // Two rounds of 20% of the remaining Conv2d and Linear weights, each fine-tuned.
        let iterative = folder("iterative")
        let rounds = try RetortProcess.run(["prune", "--model", "plane2", "--weights", dense, "--method", "iterative", "--rounds", "2",
                                            "--epochs", "1", "--out", iterative] + data)
        XCTAssertEqual(rounds.status, 0, rounds.output + rounds.errors)
        let counts = try checkZeros(iterative)
        XCTAssertEqual(counts.names, ["layers.0.weight_mask", "layers.4.weight_mask", "layers.8.weight_mask"])
        XCTAssertEqual(counts.total, 2448 + 10 * 16 * 7 * 7)
        let first = Int((0.2 * Double(counts.total)).rounded())
        XCTAssertEqual(counts.pruned, first + Int((0.2 * Double(counts.total - first)).rounded()), "1 − 0.8² of the weights, by the round rule")
        let roundStages = try XCTUnwrap(try report(iterative)["stages"] as? [[String: Any]])
        XCTAssertEqual(roundStages.map { $0["stage"] as? String },
                       ["dense", "round 1: pruned", "round 1: fine-tuned", "round 2: pruned", "round 2: fine-tuned"])
        XCTAssertEqual(try XCTUnwrap(roundStages[4]["sparsity-conv-linear"] as? Double), Double(counts.pruned) / Double(counts.total), accuracy: 1e-12)
        for round in 1...2 { XCTAssert(FileManager.default.fileExists(atPath: iterative + "/round-\(round)/best.masks.safetensors")) }

        // The pruned teacher teaches as any teacher does.
        let student = folder("student")
        let distilled = try RetortProcess.run(["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights", prue + "/best.safetensors",
                                               "--epochs", "1", "--out", student] + data)
        XCTAssertEqual(distilled.status, 0, distilled.output + distilled.errors)
        XCTAssert(distilled.output.contains("agreement"), distilled.output)

        // Errors: a usage error exits 2; a missing or mismatched weights file exits 1 naming it.
        let bad = try RetortProcess.run(["prune", "--model", "plane2", "--weights", dense, "--sparsity", "1.5"] + data)
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.errors.contains("sparsity must be a fraction strictly between 0 and 1"), bad.errors)
        let missing = try RetortProcess.run(["prune", "--model", "plane2", "--weights", teacher + "/none.safetensors", "--out", folder("x")] + data)
        XCTAssertEqual(missing.status, 1)
        XCTAssert(missing.errors.contains("none.safetensors") && missing.errors.contains("no such file"), missing.errors)
        let mismatched = try RetortProcess.run(["prune", "--model", "plane4", "--weights", dense, "--out", folder("y")] + data)
        XCTAssertEqual(mismatched.status, 1)
        XCTAssert(mismatched.errors.contains("misshaped"), mismatched.errors)
    }

    /// Ctrl-C during the fine-tuning saves its `last` and names `retort prune --resume DIR`; that
    /// command finishes the prune from there, with the PrUE masks and objective kept (not scored again),
    /// and ends with the uninterrupted prune's teacher and report.
    func testCtrlCNamesTheResumeCommandThatFinishesThePrune() throws {
        let teacher = folder("teacher")
        let trained = try RetortProcess.run(["train", "--model", "plane2", "--epochs", "1", "--out", teacher] + data)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        let arguments = ["prune", "--model", "plane2", "--weights", teacher + "/best.safetensors", "--method", "prue", "--sparsity", "0.5",
                         "--epochs", "2"] + data
        let straight = folder("straight")
        let uninterrupted = try RetortProcess.run(arguments + ["--out", straight])
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.output + uninterrupted.errors)
        let out = folder("stopped")
        let stopped = try RetortProcess.runKilled(arguments + ["--out", out], after: 0, log: URL(fileURLWithPath: folder("log")),
                                                  marker: "  step 1/", fromMarker: true, signal: SIGINT)
        XCTAssert(stopped.killed, "the prune ended before Ctrl-C:\n\(stopped.output)")
        XCTAssertNotEqual(stopped.status, 0, stopped.output)
        XCTAssert(stopped.output.contains("continue with `retort prune --resume \(out)`"), stopped.output)
        let resumed = try RetortProcess.run(["prune", "--resume", out])
        XCTAssertEqual(resumed.status, 0, resumed.output + resumed.errors)
        XCTAssert(resumed.output.contains("finetune: kept the masks of the previous run's pruning"), resumed.output)
        XCTAssertFalse(resumed.output.contains("PrUE: class-mean"), "scored again:\n\(resumed.output)")
        XCTAssert(resumed.output.contains("resuming at epoch"), resumed.output)
        XCTAssertEqual(try report(out)["prue-objective"] as? Double, try report(straight)["prue-objective"] as? Double)
        for name in ["best.safetensors", "best.masks.safetensors"] {
            let mine = try SafeTensors(contentsOf: URL(fileURLWithPath: out + "/" + name))
            let theirs = try SafeTensors(contentsOf: URL(fileURLWithPath: straight + "/" + name))
            XCTAssertEqual(mine.names, theirs.names)
            for key in mine.names { XCTAssertEqual(mine[key]?.floats(), theirs[key]?.floats(), "\(name): \(key)") }
            XCTAssertEqual(mine.metadata, theirs.metadata, name)
        }
    }
}
