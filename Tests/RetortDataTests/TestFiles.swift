import Foundation
import XCTest
@testable import RetortData

/// A temporary directory of generated dataset files, removed when the test ends.
final class TestFiles {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("retort-data-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes `bytes` to `name`, gzip-compressed (with /bin/gzip) when `name` ends in `.gz`.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = path(name)
        guard name.hasSuffix(".gz") else {
            try Data(bytes).write(to: URL(fileURLWithPath: target))
            return target
        }
        let raw = target + ".raw"
        try Data(bytes).write(to: URL(fileURLWithPath: raw))
        _ = FileManager.default.createFile(atPath: target, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-c", raw]
        gzip.standardOutput = output
        try gzip.run()
        gzip.waitUntilExit()
        try output.close()
        try FileManager.default.removeItem(atPath: raw)
        XCTAssertEqual(gzip.terminationStatus, 0, "gzip failed")
        return target
    }
}

/// An input the fuzzer committed under `Fuzz/Corpus/<target>/`: its first byte (the fuzzer's mode:
/// bit 0 set means the rest is gzip-compressed before it is read) and the file's bytes.
func fuzzInput(_ target: String, _ name: String) throws -> (mode: UInt8, bytes: [UInt8]) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let input = try [UInt8](Data(contentsOf: root.appendingPathComponent("Fuzz/Corpus/\(target)/\(name)")))
    return (input[0], Array(input.dropFirst()))
}

/// The bytes of a gzip file holding `bytes` (written and compressed by /bin/gzip through `files`).
func gzipped(_ bytes: [UInt8], in files: TestFiles) throws -> [UInt8] {
    let path = try files.write("gzipped-\(UUID().uuidString).gz", bytes)
    return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
}

/// IDX bytes: magic, big-endian sizes, payload.
func idxBytes(magic: UInt32, dimensions: [Int], payload: [UInt8]) -> [UInt8] {
    var bytes = bigEndian(magic)
    for d in dimensions { bytes += bigEndian(UInt32(d)) }
    return bytes + payload
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
}

/// Deterministic pseudo-random bytes for test images.
func testPixels(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

/// Asserts that `body` throws exactly `expected`, and that its message names the file.
func XCTAssertDataError<T>(_ body: @autoclosure () throws -> T, _ expected: DataError, mentions: String,
                           file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected \(expected)", file: file, line: line)
    } catch let error as DataError {
        XCTAssertEqual(error, expected, file: file, line: line)
        XCTAssertTrue(error.description.contains(mentions), "'\(error)' does not mention \(mentions)", file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
