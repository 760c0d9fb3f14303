import Foundation
import XCTest

/// `retort selfdistill` as a user runs it, on a small slice of the embedded Fashion-MNIST.
final class SelfDistillCommandTests: XCTestCase {
    private func folder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-selfdistill-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private let data = ["--dataset", "fashion-mnist", "--limit", "128", "--batch-size", "64", "--epochs", "1", "--seed", "2"]

    /// Zipf's dense votes (the default) run on a network that pools its last map; a plain CNN, which
    /// flattens it, is refused before anything is written, naming `--zipf-dense false`, which runs.
    func testZipfRanksByDenseVotesOnPoolingNetworksAndByLogitsWhenAsked() throws {
        let dense = folder()
        let run = try RetortProcess.run(["selfdistill", "--model", "resnet8", "--method", "zipf", "--out", dense] + data)
        XCTAssertEqual(run.status, 0, run.output + run.errors)
        XCTAssert(run.output.contains("objective: ") && run.output.contains("zipf"), run.output)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dense + "/config.json"))) as? [String: Any]
        XCTAssertEqual(config?["method"] as? String, "zipf")

        let refused = folder()
        let plain = try RetortProcess.run(["selfdistill", "--model", "plane2", "--method", "zipf", "--out", refused] + data)
        XCTAssertNotEqual(plain.status, 0)
        XCTAssert(plain.errors.contains("--zipf-dense false"), plain.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused + "/last.safetensors"))

        let logits = folder()
        let ranked = try RetortProcess.run(["selfdistill", "--model", "plane2", "--method", "zipf", "--zipf-dense", "false",
                                            "--zipf-mask", "true", "--out", logits] + data)
        XCTAssertEqual(ranked.status, 0, ranked.output + ranked.errors)
    }
}
