import Foundation
import XCTest

/// `retort train` as a user runs it, on a small slice of the embedded Fashion-MNIST.
final class TrainCommandTests: XCTestCase {

    private func folder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-train-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testTinyRunWritesTheRunFolderAndResumes() throws {
        let out = folder()
        let common = ["--model", "plane2", "--dataset", "fashion-mnist", "--limit", "256", "--batch-size", "64", "--lr", "0.05", "--seed", "1"]
        let first = try RetortProcess.run(["train"] + common + ["--epochs", "1", "--out", out])
        XCTAssertEqual(first.status, 0, first.output + first.errors)
        XCTAssert(first.output.contains("epoch 1/1: train loss"), first.output)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: out))
        XCTAssert(files.isSuperset(of: ["config.json", "metrics.jsonl", "last.safetensors", "last.optimizer.safetensors", "best.safetensors", "summary.md"]),
                  "\(files)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json"))) as? [String: Any]
        XCTAssertEqual(config?["model"] as? String, "plane2")
        XCTAssertEqual(config?["limit"] as? Int, 256)

        // Continue the same run to a second epoch.
        let resumed = try RetortProcess.run(["train", "--resume", out, "--epochs", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.output + resumed.errors)
        XCTAssert(resumed.output.contains("resuming at epoch 2"), resumed.output)
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)

        // Evaluate and predict with the best weights.
        let evaluation = try RetortProcess.run(["eval", "--model", "plane2", "--weights", out + "/best.safetensors", "--limit", "256"])
        XCTAssertEqual(evaluation.status, 0, evaluation.errors)
        XCTAssert(evaluation.output.contains("top-1") && evaluation.output.contains("(256 images)"), evaluation.output)
        let predictions = out + "/test-logits.safetensors"
        let predict = try RetortProcess.run(["predict", "--model", "plane2", "--weights", out + "/best.safetensors", "--split", "test",
                                             "--limit", "256", "--out", predictions])
        XCTAssertEqual(predict.status, 0, predict.errors)
        XCTAssert(FileManager.default.fileExists(atPath: predictions))
        let distilled = try RetortProcess.run(["train"] + common + ["--epochs", "1", "--out", out + "-kd", "--teacher-model", "plane2",
                                                                     "--teacher-weights", out + "/best.safetensors"])
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out + "-kd") }
        XCTAssertEqual(distilled.status, 0, distilled.output + distilled.errors)
        XCTAssert(distilled.output.contains("distilling from plane2"), distilled.output)
        // retort distill from two teachers (confidence-aware weighting), and retort selfdistill.
        let weights = out + "/best.safetensors"
        let multi = try RetortProcess.run(["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights", weights, "--teacher", "plane2",
                                           "--teacher-weights", weights, "--loss", "camkd", "--dataset", "fashion-mnist", "--limit", "256",
                                           "--batch-size", "64", "--epochs", "1", "--out", out + "-camkd"])
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out + "-camkd") }
        XCTAssertEqual(multi.status, 0, multi.output + multi.errors)
        XCTAssert(multi.output.contains("objective: ce + camkd") && multi.output.contains("agreement"), multi.output)
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "-camkd/config.json"))) as? [String: Any]
        XCTAssertEqual(saved?["loss"] as? String, "camkd")
        XCTAssertEqual(saved?["teacher"] as? [String], ["plane2", "plane2"])
        let selfDistilled = try RetortProcess.run(["selfdistill", "--model", "plane2", "--method", "bake", "--limit", "256", "--batch-size", "64",
                                                   "--epochs", "1", "--out", out + "-bake"])
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out + "-bake") }
        XCTAssertEqual(selfDistilled.status, 0, selfDistilled.output + selfDistilled.errors)
        XCTAssert(selfDistilled.output.contains("objective: ce + bake"), selfDistilled.output)
        let missing = try RetortProcess.run(["distill", "--student", "plane2", "--teacher", "plane2", "--loss", "kd", "--limit", "64"])
        XCTAssertEqual(missing.status, 2)
        XCTAssert(missing.errors.contains("one --teacher-weights per --teacher"), missing.errors)
        let wrong = try RetortProcess.run(["eval", "--model", "plane4", "--weights", out + "/best.safetensors", "--limit", "64"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssert(wrong.errors.contains("misshaped"), wrong.errors)
    }

    func testConfigErrorsNameTheKeyAndExitWithTwo() throws {
        let file = folder() + ".json"
        try Data(#"{"model": "plane2", "learning_rate": 0.1}"#.utf8).write(to: URL(fileURLWithPath: file))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: file) }
        let unknown = try RetortProcess.run(["train", "--config", file])
        XCTAssertEqual(unknown.status, 2)
        XCTAssert(unknown.errors.contains("unknown key 'learning_rate'"), unknown.errors)
        let bad = try RetortProcess.run(["train", "--epochs", "zero"])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.errors.contains("epochs must be an integer"), bad.errors)
        let model = try RetortProcess.run(["train", "--model", "resnet9", "--limit", "64", "--out", folder()])
        XCTAssertEqual(model.status, 1)
        XCTAssert(model.errors.contains("Unknown model 'resnet9'"), model.errors)
    }
}
