import Foundation
import XCTest
@testable import RetortCheckpoint
import RetortHostTestSupport

/// `AtomicFileGroup`: after a crash at any point of a replacement, recovery leaves every file of the
/// group old or every file new, and no debris. The crashes are simulated by leaving the folder as
/// each stage of `replace(_:)` leaves it.
final class AtomicFileGroupTests: XCTestCase {
    private var folder: URL!
    private var group: AtomicFileGroup { AtomicFileGroup(directory: folder) }
    private var weights: URL { folder.appendingPathComponent("last.safetensors") }
    private var state: URL { folder.appendingPathComponent("last.optimizer.safetensors") }

    override func setUpWithError() throws {
        folder = try makeTemporaryDirectory(for: self)
        try group.replace([(Data("old weights".utf8), weights), (Data("old state".utf8), state)])
    }

    private func contents() throws -> [String] {
        try [weights, state].map { String(decoding: try Data(contentsOf: $0), as: UTF8.self) }
    }

    private func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() }

    /// Stages the new files as `replace(_:)` does before its commit point.
    private func stageNewFiles() throws {
        try Data("new weights".utf8).write(to: AtomicFileGroup.stagedURL(for: weights))
        try Data("new state".utf8).write(to: AtomicFileGroup.stagedURL(for: state))
    }

    private func writeJournal() throws {
        let pairs = [weights, state].map { [AtomicFileGroup.stagedURL(for: $0).lastPathComponent, $0.lastPathComponent] }
        try JSONSerialization.data(withJSONObject: pairs).write(to: group.journalURL)
    }

    func testReplaceWritesEveryFileAndLeavesNoDebris() throws {
        try group.replace([(Data("new weights".utf8), weights), (Data("new state".utf8), state)])
        XCTAssertEqual(try contents(), ["new weights", "new state"])
        XCTAssertEqual(try names(), ["last.optimizer.safetensors", "last.safetensors"])
    }

    func testACrashBeforeTheCommitKeepsTheOldFiles() throws {
        try stageNewFiles()
        try Data("half".utf8).write(to: folder.appendingPathComponent(".last.safetensors.3F2A.tmp"))
        try group.recover()
        XCTAssertEqual(try contents(), ["old weights", "old state"])
        XCTAssertEqual(try names(), ["last.optimizer.safetensors", "last.safetensors"], "staged and temporary files are removed")
    }

    func testACrashAfterTheCommitFinishesTheReplacement() throws {
        try stageNewFiles()
        try writeJournal()
        try group.recover()
        XCTAssertEqual(try contents(), ["new weights", "new state"])
        XCTAssertEqual(try names(), ["last.optimizer.safetensors", "last.safetensors"])
    }

    func testACrashBetweenTheRenamesFinishesTheReplacement() throws {
        try stageNewFiles()
        try writeJournal()
        XCTAssertEqual(rename(AtomicFileGroup.stagedURL(for: weights).path, weights.path), 0)
        XCTAssertEqual(try contents(), ["new weights", "old state"], "the state the crash left")
        try group.recover()
        XCTAssertEqual(try contents(), ["new weights", "new state"])
    }

    func testTheNextReplaceRecoversFirst() throws {
        try stageNewFiles()
        try writeJournal()
        try group.replace([(Data("newer weights".utf8), weights)])
        XCTAssertEqual(try contents(), ["newer weights", "new state"])
    }

    func testAnUnreadableJournalIsAnErrorNamingIt() throws {
        try Data("{not json".utf8).write(to: group.journalURL)
        XCTAssertThrowsError(try group.recover()) { error in
            XCTAssert("\(error)".contains(".replacing.json") && "\(error)".contains("remove it"), "\(error)")
        }
        XCTAssertEqual(try contents(), ["old weights", "old state"])
    }
}
