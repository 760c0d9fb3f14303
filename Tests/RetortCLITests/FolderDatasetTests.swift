import Foundation
import XCTest
import RetortData

/// `--dataset folder`: a generated Tiny-ImageNet-layout folder trains, evaluates and records its
/// classes; unreadable images stop the run naming the file, or are skipped and counted.
final class FolderDatasetTests: XCTestCase {
    private func temporary(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("retort-\(name)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func write(_ bytes: [UInt8], _ relative: String, in root: URL) throws {
        try TinyImageNetFolder.write(bytes, relative, in: root)
    }

    /// Tiny-ImageNet layout: 4 classes (wnids.txt unsorted, words.txt), 8 training and 2 validation
    /// 32×32 JPEGs per class.
    private func tinyImageNet() throws -> (root: URL, wnids: [String]) {
        let root = temporary("tiny-imagenet")
        let wnids = ["n02", "n01", "n04", "n03"]
        try TinyImageNetFolder.write(to: root, wnids: wnids, train: 8, validation: 2, size: 32)
        return (root, wnids.sorted())
    }

    func testTinyImageNetFolderTrainsEvaluatesAndRecordsItsClasses() throws {
        let (root, wnids) = try tinyImageNet()
        let run = temporary("folder-run").path
        let data = ["--dataset", "folder", "--data-dir", root.path, "--input", "3x32x32"]
        let trained = try RetortProcess.run(["train", "--model", "plane2", "--epochs", "1", "--batch-size", "8", "--workers", "2",
                                             "--out", run] + data)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        XCTAssert(trained.output.contains("32 training and 8 test images"), trained.output)
        let classes = try String(contentsOfFile: run + "/classes.txt", encoding: .utf8)
        XCTAssertEqual(classes, wnids.map { "\($0)\tthing \($0.suffix(1))\n" }.joined())
        let metadata = try RunFolderSnapshot.readSafeTensors(URL(fileURLWithPath: run + "/best.safetensors")).1
        XCTAssertEqual(metadata["classes"], wnids.joined(separator: "\n"))
        XCTAssertEqual(metadata["normalization_mean"], "0.485,0.456,0.406", "ImageNet's statistics by default")
        XCTAssertEqual(metadata["dataset"], "folder")
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json")))
            as? [String: Any])
        XCTAssertEqual(config["input"] as? String, "3x32x32")

        let evaluation = try RetortProcess.run(["eval", "--model", "plane2", "--weights", run + "/best.safetensors", "--workers", "1"]
                                               + data)
        XCTAssertEqual(evaluation.status, 0, evaluation.output + evaluation.errors)
        let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/metrics.jsonl")))
            as? [String: Any])
        let top1 = String(format: "top-1 %.2f%%", try XCTUnwrap(metrics["test_top1"] as? Double) * 100)
        XCTAssert(evaluation.output.contains("(8 images): \(top1)"), "the training's own test accuracy: \(top1)\n\(evaluation.output)")

        // Measuring the normalization is a training-time choice: eval refuses it instead of using another one.
        let measured = try RetortProcess.run(["eval", "--model", "plane2", "--weights", run + "/best.safetensors",
                                              "--normalization", "dataset"] + data)
        XCTAssertEqual(measured.status, 2, measured.output + measured.errors)
        XCTAssert(measured.errors.contains("--normalization dataset measures a folder's training images"), measured.errors)

        // A folder whose classes differ from the checkpoint's is refused, naming the first difference.
        try FileManager.default.moveItem(at: root.appendingPathComponent("train/n04"), to: root.appendingPathComponent("train/n05"))
        try write(Array(["n01", "n02", "n03", "n05"].joined(separator: "\n").utf8), "wnids.txt", in: root)
        let other = try RetortProcess.run(["eval", "--model", "plane2", "--weights", run + "/best.safetensors", "--split", "train"] + data)
        XCTAssertEqual(other.status, 1, other.output + other.errors)
        XCTAssert(other.errors.contains("label 3 (n04 vs n05)"), other.errors)
    }

    /// A truncated JPEG (its header intact) stops training under `--bad-images fail`, naming the file;
    /// under `skip` the run finishes and says which file it replaced. A file that is no image at all is
    /// refused before training, or left out and counted.
    func testBadImagesStopTheRunOrAreSkipped() throws {
        let (root, _) = try tinyImageNet()
        let truncated = root.appendingPathComponent("train/n02/images/n02_3.JPEG")
        let bytes = try Data(contentsOf: truncated)
        try bytes.prefix(bytes.count / 3).write(to: truncated)
        let data = ["--dataset", "folder", "--data-dir", root.path, "--input", "3x32x32", "--epochs", "1", "--batch-size", "8",
                    "--model", "plane2"]
        let failed = try RetortProcess.run(["train", "--out", temporary("bad-fail").path] + data)
        XCTAssertEqual(failed.status, 1, failed.output + failed.errors)
        XCTAssert(failed.errors.contains(truncated.path) && failed.errors.contains("--bad-images skip"), failed.errors)
        XCTAssertFalse(failed.output.contains("epoch 1/1"), "no epoch finished on a NaN input")
        let run = temporary("bad-skip").path
        let skipped = try RetortProcess.run(["train", "--bad-images", "skip", "--out", run] + data)
        XCTAssertEqual(skipped.status, 0, skipped.output + skipped.errors)
        XCTAssert(skipped.output.contains("--bad-images skip: 1 file did not decode") && skipped.output.contains(truncated.path),
                  skipped.output)
        // eval: the same choice for a validation image.
        let image = root.appendingPathComponent("val/images/val_1_8.JPEG")
        try Data(contentsOf: image).prefix(300).write(to: image)
        let evaluate = ["eval", "--model", "plane2", "--weights", run + "/best.safetensors", "--dataset", "folder", "--data-dir", root.path,
                        "--input", "3x32x32"]
        let stopped = try RetortProcess.run(evaluate)
        XCTAssertEqual(stopped.status, 1, stopped.output + stopped.errors)
        XCTAssert(stopped.errors.contains(image.path), stopped.errors)
        let counted = try RetortProcess.run(evaluate + ["--bad-images", "skip"])
        XCTAssertEqual(counted.status, 0, counted.output + counted.errors)
        XCTAssert(counted.output.contains("(8 images)") && counted.output.contains("1 file did not decode"), counted.output)

        let text = root.appendingPathComponent("train/n01/images/notes.jpeg")
        try Data("not an image".utf8).write(to: text)
        let refused = try RetortProcess.run(["train", "--out", temporary("bad-refused").path] + data)
        XCTAssertEqual(refused.status, 1, refused.output + refused.errors)
        XCTAssert(refused.errors.contains(text.path), refused.errors)
        let usage = try RetortProcess.run(["train", "--bad-images", "maybe"] + data)
        XCTAssertEqual(usage.status, 2, usage.errors)
        XCTAssert(usage.errors.contains("bad-images must be skip or fail"), usage.errors)
    }
}
