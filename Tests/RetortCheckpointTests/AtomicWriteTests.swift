import Foundation
import XCTest
@testable import RetortCheckpoint
import RetortHostTestSupport

/// `SafeTensors.write(to:)` replaces a file atomically and never leaves debris or half a file.
final class AtomicWriteTests: XCTestCase {
    private func contents(of directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    private func checkpoint(_ value: Float) throws -> SafeTensors {
        SafeTensors(tensors: ["w": try HostTensor([value, value], shape: [2])])
    }

    func testOverwriteReplacesTheFileAndLeavesNoTemporaryFiles() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let url = directory.appendingPathComponent("last.safetensors")
        try checkpoint(1).write(to: url)
        try checkpoint(2).write(to: url)
        XCTAssertEqual(try contents(of: directory), ["last.safetensors"])
        XCTAssertEqual(try SafeTensors(contentsOf: url)["w"]?.floats(), [2, 2])
    }

    func testMissingParentDirectoryFailsWithoutCreatingAnything() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let url = directory.appendingPathComponent("no-such-dir/best.safetensors")
        let weights = try checkpoint(1)
        do {
            try weights.write(to: url)
            XCTFail("wrote into a missing directory")
        } catch {
            guard case .writeFailed(let file, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, url.path)
            XCTAssert(reason.contains("No such file or directory"), reason)
            XCTAssert(error.description.contains(url.path), error.description)
        }
        XCTAssertEqual(try contents(of: directory), [])
    }

    func testFailedRenameKeepsWhatWasThereAndRemovesTheTemporaryFile() throws {
        // The target is a non-empty directory: the temporary file is written, the rename fails.
        let directory = try makeTemporaryDirectory(for: self)
        let url = directory.appendingPathComponent("best.safetensors")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        let marker = url.appendingPathComponent("keep")
        try Data("old".utf8).write(to: marker)
        let weights = try checkpoint(1)
        do {
            try weights.write(to: url)
            XCTFail("replaced a directory")
        } catch {
            guard case .writeFailed(let file, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, url.path)
            XCTAssert(reason.contains("cannot replace"), reason)
        }
        XCTAssertEqual(try contents(of: directory), ["best.safetensors"])
        XCTAssertEqual(try Data(contentsOf: marker), Data("old".utf8))
    }

    func testFailedSerializationDoesNotTouchTheOldFile() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let url = directory.appendingPathComponent("last.safetensors")
        try checkpoint(1).write(to: url)
        let before = try Data(contentsOf: url)
        let invalid = SafeTensors(tensors: ["__metadata__": HostTensor(scalar: Float(0))])
        assertThrows(SafeTensorsError.reservedName(file: url.path, name: "__metadata__")) { () throws(SafeTensorsError) in
            try invalid.write(to: url)
        }
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(try contents(of: directory), ["last.safetensors"])
    }
}
