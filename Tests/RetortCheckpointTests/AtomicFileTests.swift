import Foundation
import XCTest
@testable import RetortCheckpoint
import RetortHostTestSupport

/// Two-phase writes: a staged file is complete on disk before it replaces its target, and one
/// dropped without ``AtomicFile/Staged/commit()`` leaves neither debris nor a changed target.
final class AtomicFileTests: XCTestCase {
    func testStagedFilesReplaceTheirTargetsOnlyWhenCommitted() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let url = directory.appendingPathComponent("metrics.jsonl")
        try AtomicFile.write("old\n", to: url)
        do {
            let staged = try AtomicFile.stage(Data("new\n".utf8), at: url)
            XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "old\n")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).count, 2, "the target and the staged file")
            _ = staged
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["metrics.jsonl"], "dropped: removed")
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "old\n")
        try AtomicFile.stage(Data("new\n".utf8), at: url).commit()
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "new\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["metrics.jsonl"])
    }

    func testAFailureNamesTheFileAndSaysThePreviousOneIsKept() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let url = directory.appendingPathComponent("missing/summary.md")
        XCTAssertThrowsError(try AtomicFile.write("text", to: url)) { error in
            XCTAssert("\(error)".hasPrefix("cannot write '\(url.path)': cannot create a temporary file in '\(directory.path)/missing'"),
                      "\(error)")
            XCTAssert("\(error)".hasSuffix("(the previous file is left as it was)"), "\(error)")
        }
    }
}
