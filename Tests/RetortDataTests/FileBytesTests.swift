import Foundation
import XCTest
@testable import RetortData

/// A dataset file is read front to back in pieces, raw or gzip alike, and knows how much can remain.
final class FileBytesTests: XCTestCase {
    func testRawAndGzipReadTheSameBytesInPieces() throws {
        let files = try TestFiles()
        let bytes = testPixels(10_000, seed: 5)
        for name in ["plain.bin", "packed.bin.gz"] {
            var file = try FileBytes(contentsOf: files.write(name, bytes))
            XCTAssertEqual(file.isCompressed, name.hasSuffix(".gz"))
            XCTAssertEqual(file.name, name)
            XCTAssertGreaterThanOrEqual(file.maximumRemainingBytes, 10_000)
            XCTAssertEqual(try file.read(upTo: 16), Array(bytes.prefix(16)))
            XCTAssertEqual(try file.read(upTo: 100_000), Array(bytes.dropFirst(16)))
            XCTAssertEqual(try file.read(upTo: 1), [])
            XCTAssertEqual(try file.skipRemaining(), 0)
        }
        var raw = try FileBytes(contentsOf: files.path("plain.bin"))
        XCTAssertEqual(raw.maximumRemainingBytes, 10_000, "a raw file's remaining size is exact")
        _ = try raw.read(upTo: 4)
        XCTAssertEqual(try raw.skipRemaining(), 9_996)
    }

    func testMissingFileAndDirectory() throws {
        let files = try TestFiles()
        XCTAssertDataError(try FileBytes(contentsOf: files.path("absent")), .missingFile(path: files.path("absent")), mentions: "absent")
        let name = files.directory.lastPathComponent
        XCTAssertDataError(try FileBytes(contentsOf: files.directory.path), .unreadable(file: name, reason: "is a directory"),
                           mentions: name)
    }
}
