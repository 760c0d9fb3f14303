import Foundation
import XCTest

/// Issue 18's end-to-end check: a generated Tiny-ImageNet-layout folder of 200 classes at 64×64 trains a
/// torchvision `resnet34` teacher, distills it into a `resnet18` student and evaluates both.
final class TinyImageNetTests: XCTestCase {
    func testResNet34DistillsIntoResNet18OnATinyImageNetFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("retort-tiny-imagenet-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let wnids = (0..<200).map { String(format: "n%08d", 1_440_764 + 37 * $0) }
        try TinyImageNetFolder.write(to: root.appendingPathComponent("data"), wnids: wnids.reversed(), train: 1, validation: 1, size: 64)
        let data = ["--dataset", "folder", "--data-dir", root.path + "/data", "--input", "3x64x64", "--epochs", "1",
                    "--batch-size", "100", "--lr", "0.05"]
        let teacher = root.path + "/resnet34", student = root.path + "/resnet18"

        let trained = try RetortProcess.run(["train", "--model", "resnet34", "--out", teacher] + data)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        XCTAssert(trained.output.contains("200 training and 200 test images"), trained.output)
        let classes = try String(contentsOfFile: teacher + "/classes.txt", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(classes.count, 200)
        XCTAssertEqual(classes.first.map { String($0.prefix(9)) }, wnids.first, "classes in sorted wnid order")

        let distilled = try RetortProcess.run(["distill", "--student", "resnet18", "--teacher", "resnet34", "--teacher-weights",
                                               teacher + "/best.safetensors", "--loss", "kd", "--out", student] + data)
        XCTAssertEqual(distilled.status, 0, distilled.output + distilled.errors)
        let metrics = try String(contentsOfFile: student + "/metrics.jsonl", encoding: .utf8)
        let epoch = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(metrics.utf8)) as? [String: Any])
        XCTAssertNotNil(epoch["agreement"] as? Double, "a distilled run measures its agreement with the teacher: \(metrics)")

        for (model, run) in [("resnet34", teacher), ("resnet18", student)] {
            let evaluation = try RetortProcess.run(["eval", "--model", model, "--weights", run + "/best.safetensors", "--dataset", "folder",
                                                    "--data-dir", root.path + "/data", "--input", "3x64x64"])
            XCTAssertEqual(evaluation.status, 0, evaluation.output + evaluation.errors)
            XCTAssert(evaluation.output.contains("(200 images)"), evaluation.output)
        }
    }
}
