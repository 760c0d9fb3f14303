import Foundation
import XCTest

/// A report page that cannot be written does not stop training: the run prints a warning naming
/// the page and the cause, and finishes with its checkpoints; `retort report` then fails naming it.
final class RunReportWriterTests: XCTestCase {
    func testAPageThatCannotBeWrittenWarnsAndTrainingGoesOn() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("retort-report-writer-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: run) }
        let page = run.appendingPathComponent("report.html")
        // A folder where the page goes: renaming the new page over it fails.
        try FileManager.default.createDirectory(at: page.appendingPathComponent("in-the-way"), withIntermediateDirectories: true)
        let train = try RetortProcess.run(["train", "--model", "plane2", "--limit", "64", "--batch-size", "32", "--epochs", "2",
                                           "--out", run.path])
        XCTAssertEqual(train.status, 0, train.output + train.errors)
        let warnings = train.output.split(separator: "\n").filter { $0.hasPrefix("warning: could not write \(page.path)") }
        XCTAssertEqual(warnings.count, 3, "after each of the 2 epochs and at the end: \(train.output)")
        XCTAssert(warnings.allSatisfy { $0.contains("training goes on") && $0.contains("cannot replace it") }, "\(warnings)")
        XCTAssertFalse(train.output.contains("report page in"), "the run names no page it could not write")
        for file in ["best.safetensors", "last.safetensors", "metrics.jsonl", "run.json"] {
            XCTAssert(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), file)
        }
        let report = try RetortProcess.run(["report", run.path])
        XCTAssertEqual(report.status, 1)
        XCTAssert(report.errors.contains("cannot write '\(page.path)'"), report.errors)
    }
}
