import Foundation
import XCTest

/// `retort eval` and `predict` refuse weights holding NaN or ±inf, naming the tensor; so does a
/// teacher in `distill`.
final class EvaluateCommandTests: XCTestCase {
    private func folder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-eval-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Writes NaN over the last element of the file's data section and returns the tensor it belongs to.
    private func poisonLastValue(of url: URL) throws -> String {
        var bytes = try Data(contentsOf: url)
        let headerSize = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<8 + headerSize)) as? [String: Any])
        let dataSize = bytes.count - 8 - headerSize
        let name = try XCTUnwrap(header.first { entry in
            ((entry.value as? [String: Any])?["data_offsets"] as? [Int])?.last == dataSize
        }?.key)
        XCTAssertEqual((header[name] as? [String: Any])?["dtype"] as? String, "F32")
        bytes.replaceSubrange(bytes.count - 4..<bytes.count, with: [0x00, 0x00, 0xc0, 0x7f])
        try bytes.write(to: url)
        return name
    }

    func testWeightsHoldingNaNAreRefusedNamingTheTensor() throws {
        let run = folder()
        let common = ["--limit", "64", "--batch-size", "32"]
        XCTAssertEqual(try RetortProcess.run(["train", "--model", "plane2", "--epochs", "1", "--out", run] + common).status, 0)
        let weights = URL(fileURLWithPath: run + "/best.safetensors")
        let tensor = try poisonLastValue(of: weights)
        let evaluation = try RetortProcess.run(["eval", "--model", "plane2", "--weights", weights.path, "--limit", "64"])
        XCTAssertEqual(evaluation.status, 1, evaluation.output + evaluation.errors)
        XCTAssert(evaluation.errors.contains("state dict '\(weights.path)' holds non-finite values in 1 tensor; nothing was loaded"),
                  evaluation.errors)
        XCTAssert(evaluation.errors.contains("  \(tensor): 1 NaN, 0 ±inf"), evaluation.errors)
        let distill = try RetortProcess.run(["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights", weights.path,
                                             "--epochs", "1", "--out", folder()] + common)
        XCTAssertEqual(distill.status, 1, distill.output + distill.errors)
        XCTAssert(distill.errors.contains("\(tensor): 1 NaN"), distill.errors)
        XCTAssertFalse(distill.output.contains("epoch 1/1"), "nothing trained")
    }

    /// A run's checkpoints record the normalization it trained with; `eval` and `predict` use it
    /// unless told otherwise, and say which they used.
    func testEvalAndPredictUseTheCheckpointsNormalization() throws {
        let run = folder()
        let common = ["--limit", "128", "--batch-size", "32"]
        let trained = try RetortProcess.run(["train", "--model", "plane2", "--epochs", "1", "--mean", "0.5", "--std", "0.25",
                                             "--out", run] + common)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        let weights = run + "/best.safetensors"
        let metadata = try RunFolderSnapshot.readSafeTensors(URL(fileURLWithPath: weights)).1
        XCTAssertEqual(metadata["normalization_mean"], "0.5")
        XCTAssertEqual(metadata["normalization_std"], "0.25")
        XCTAssertEqual(metadata["label_smoothing"], "0.0")
        let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/metrics.jsonl")))
            as? [String: Any])
        let top1 = String(format: "top-1 %.2f%%", try XCTUnwrap(metrics["test_top1"] as? Double) * 100)

        let evaluation = try RetortProcess.run(["eval", "--model", "plane2", "--weights", weights, "--limit", "128"])
        XCTAssertEqual(evaluation.status, 0, evaluation.output + evaluation.errors)
        XCTAssert(evaluation.output.contains("normalization: (0.5000) / (0.2500), recorded in the checkpoint"), evaluation.output)
        XCTAssert(evaluation.output.contains(top1), "the training's own test accuracy: \(top1)\n\(evaluation.output)")
        let overridden = try RetortProcess.run(["eval", "--model", "plane2", "--weights", weights, "--limit", "128",
                                                "--normalization", "dataset"])
        XCTAssertEqual(overridden.status, 0, overridden.output + overridden.errors)
        XCTAssert(overridden.output.contains("normalization: (0.2860) / (0.3530), from --normalization; "
                                             + "the checkpoint records (0.5000) / (0.2500)"),
                  overridden.output)
        let bad = try RetortProcess.run(["eval", "--model", "plane2", "--weights", weights, "--mean", "0.5,0.5", "--std", "0.2,0.2"])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.errors.contains("mean has 2 values but fashion-mnist images have 1 channel"), bad.errors)

        let predictions = run + "/predictions.safetensors"
        let predict = try RetortProcess.run(["predict", "--model", "plane2", "--weights", weights, "--limit", "128", "--out", predictions])
        XCTAssertEqual(predict.status, 0, predict.output + predict.errors)
        XCTAssert(predict.output.contains("recorded in the checkpoint") && predict.output.contains(top1), predict.output)
        XCTAssertEqual(try RunFolderSnapshot.readSafeTensors(URL(fileURLWithPath: predictions)).1["normalization_mean"], "0.5")
    }
}
