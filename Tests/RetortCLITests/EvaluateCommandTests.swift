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
}
