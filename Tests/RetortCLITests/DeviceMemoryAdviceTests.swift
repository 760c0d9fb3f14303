import Foundation
import XCTest
@testable import retort

/// A batch that does not fit the device stops the run with an error naming the batch size, what
/// was needed and what the device holds, and what to do — never a trap.
final class DeviceMemoryAdviceTests: XCTestCase {
    private func folder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-memory-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testTheMessageNamesTheBatchSizeAndWhatToChange() {
        let message = DeviceMemoryAdvice.message(detail: "a buffer of 12 MiB does not fit", batchSize: 256)
        XCTAssert(message.hasPrefix("out of device memory at --batch-size 256: a buffer of 12 MiB does not fit. "
                                    + "Lower --batch-size (try 128)"), message)
        XCTAssertFalse(DeviceMemoryAdvice.message(detail: "x", batchSize: 1).contains("try"))
    }

    /// `RETORT_MEMORY_LIMIT` makes a small device out of any device: the first step's activations
    /// at a batch of 256 do not fit in 16 MiB; at 16 they do.
    func testABatchBeyondTheDeviceMemoryIsAClearError() throws {
        let run = folder()
        let result = try RetortProcess.run(["train", "--model", "plane2", "--limit", "256", "--batch-size", "256", "--epochs", "1",
                                            "--out", run], environment: ["RETORT_MEMORY_LIMIT": "16M"])
        XCTAssertEqual(result.status, 1, result.output + result.errors)
        XCTAssert(result.errors.contains("error: out of device memory at --batch-size 256: a buffer of "), result.errors)
        XCTAssert(result.errors.contains("does not fit in the 16 MiB limit (RETORT_MEMORY_LIMIT); live buffers hold "), result.errors)
        XCTAssert(result.errors.contains("Lower --batch-size (try 128)"), result.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/last.safetensors"))

        let smaller = try RetortProcess.run(["train", "--model", "plane2", "--limit", "64", "--batch-size", "16", "--epochs", "1",
                                             "--out", run, "--force"], environment: ["RETORT_MEMORY_LIMIT": "16M"])
        XCTAssertEqual(smaller.status, 0, "a smaller batch fits: \(smaller.errors)")

        let bad = try RetortProcess.run(["train", "--model", "plane2", "--limit", "16", "--out", folder()],
                                        environment: ["RETORT_MEMORY_LIMIT": "lots"])
        XCTAssertEqual(bad.status, 1, bad.errors)
        XCTAssert(bad.errors.contains(#"RETORT_MEMORY_LIMIT="lots" is not a size"#), bad.errors)
    }

    /// One activation larger than the device can bind (lavapipe: 128 MiB) at a batch of 4,000.
    func testABatchBeyondTheLargestBindingIsAClearError() throws {
        let result = try RetortProcess.run(["train", "--model", "plane2", "--limit", "4000", "--batch-size", "4000", "--epochs", "1",
                                            "--out", folder()])
        XCTAssertEqual(result.status, 1, result.output + result.errors)
        XCTAssert(result.errors.contains("out of device memory at --batch-size 4000: "), result.errors)
        XCTAssert(result.errors.contains("Lower --batch-size (try 2000)"), result.errors)
    }
}
