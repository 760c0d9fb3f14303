import Foundation
import XCTest

/// Saved weights for the `retort inspect` tests: a plane2 trained for one epoch on the first 300
/// Fashion-MNIST images of each split (kept in a folder of their own), made once per test process.
enum InspectFixture {
    struct Files {
        let data: URL
        let weights: URL
    }

    nonisolated(unsafe) private static var made: Result<Files, Error>?
    private static let lock = NSLock()

    /// The data folder (300 training and 300 test images) and the trained weights.
    static func files() throws -> Files {
        lock.lock()
        defer { lock.unlock() }
        if made == nil {
            made = Result {
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("retort-inspect-\(UUID().uuidString)")
                let data = folder.appendingPathComponent("data"), run = folder.appendingPathComponent("run")
                try FashionMNISTSubset.write(count: 300, to: data)
                let trained = try RetortProcess.run(["train", "--model", "plane2", "--data-dir", data.path, "--epochs", "1",
                                                     "--batch-size", "50", "--out", run.path])
                guard trained.status == 0 else {
                    throw CocoaError(.fileWriteUnknown, userInfo: ["output": trained.output + trained.errors])
                }
                return Files(data: data, weights: run.appendingPathComponent("best.safetensors"))
            }
        }
        return try made!.get()
    }

    /// A path for an output file, removed after the test.
    static func output(_ test: XCTestCase, _ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("retort-inspect-\(UUID().uuidString)-\(name)")
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// Every inspection loads its weights as `retort eval` does and refuses what does not fit.
final class SavedWeightsTests: XCTestCase {
    func testWeightsOfAnotherModelAndMissingOptionsAreRefused() throws {
        let files = try InspectFixture.files()
        for picture in [["penultimate", "--classes", "0,1,2"], ["flatness"]] {
            let out = InspectFixture.output(self, "x.svg")
            let common = ["--data-dir", files.data.path, "--out", out.path]
            let wrong = try RetortProcess.run(["inspect"] + picture + ["--model", "plane4", "--weights", files.weights.path] + common)
            XCTAssertEqual(wrong.status, 1, wrong.output + wrong.errors)
            XCTAssert(wrong.errors.contains("state dict '\(files.weights.path)' does not match the model"), wrong.errors)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no picture")
            let missing = try RetortProcess.run(["inspect"] + picture + ["--model", "plane2"] + common)
            XCTAssertEqual(missing.status, 2)
            XCTAssert(missing.errors.contains("inspect \(picture[0]) needs --model NAME and --weights FILE.safetensors"), missing.errors)
            let limit = try RetortProcess.run(["inspect"] + picture + ["--model", "plane2", "--weights", files.weights.path, "--limit", "0"]
                                              + common)
            XCTAssertEqual(limit.status, 2)
            XCTAssert(limit.errors.contains("--limit must be an integer in 1...10000000, got '0'"), limit.errors)
        }
    }

    func testTheCheckpointsNormalizationIsUsed() throws {
        let files = try InspectFixture.files()
        let run = try RetortProcess.run(["inspect", "flatness", "--model", "plane2", "--weights", files.weights.path,
                                         "--data-dir", files.data.path,
                                         "--points", "2", "--limit", "50", "--out", InspectFixture.output(self, "f.svg").path])
        XCTAssertEqual(run.status, 0, run.output + run.errors)
        XCTAssert(run.output.contains("normalization: (0.2860) / (0.3530), recorded in the checkpoint"), run.output)
    }
}
