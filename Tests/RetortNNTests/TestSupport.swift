import Foundation
import XCTest
@testable import RetortNN
import RetortTestSupport

/// The little-endian bytes of an integer, spelled out independently of the code under test.
func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}

func littleEndian(_ values: [Float]) -> [UInt8] { values.flatMap { littleEndian($0.bitPattern) } }
func littleEndian(_ values: [Int64]) -> [UInt8] { values.flatMap { littleEndian($0) } }

/// A safetensors file built byte by byte: the size prefix (by default the header's true length),
/// the header text, then `data`.
func safetensorsFile(header: String, data: [UInt8] = [], declaredSize: UInt64? = nil) -> Data {
    let headerBytes = Array(header.utf8)
    var file = Data(littleEndian(declaredSize ?? UInt64(headerBytes.count)))
    file.append(contentsOf: headerBytes)
    file.append(contentsOf: data)
    return file
}

/// A fresh empty directory under the system temporary directory, removed at the end of the test.
func makeTemporaryDirectory(for testCase: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("retort-nn-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<E: Error & Equatable, T>(_ expected: E, file: StaticString = #filePath, line: UInt = #line,
                                           _ body: () throws(E) -> T) {
    do {
        let value = try body()
        XCTFail("expected \(expected), got \(value)", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
    }
}

/// Relative closeness for learning rates (PyTorch's recursive and closed forms differ in the last bits).
func assertClose(_ actual: Double, _ expected: Double, relative: Double = 1e-12, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    let scale = max(abs(expected), 1e-300)
    XCTAssert(abs(actual - expected) <= relative * scale,
              "\(actual) is not \(expected) \(message)", file: file, line: line)
}
