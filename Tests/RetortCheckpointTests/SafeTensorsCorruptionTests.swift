import Foundation
import XCTest
@testable import RetortCheckpoint
import RetortHostTestSupport

/// Each way a safetensors file can be broken gives its own error, naming the file and the tensor.
final class SafeTensorsCorruptionTests: XCTestCase {
    private let fileName = "corrupt.safetensors"

    private func assertRejects(_ file: Data, _ expected: SafeTensorsError,
                               file sourceFile: StaticString = #filePath, line: UInt = #line) {
        assertThrows(expected, file: sourceFile, line: line) { () throws(SafeTensorsError) in
            try SafeTensors(data: file, source: fileName)
        }
        XCTAssert(expected.description.contains(fileName), "message does not name the file: \(expected)", file: sourceFile, line: line)
    }

    private func assertRejects(header: String, data: [UInt8] = [], _ expected: SafeTensorsError,
                               file sourceFile: StaticString = #filePath, line: UInt = #line) {
        assertRejects(safetensorsFile(header: header, data: data), expected, file: sourceFile, line: line)
    }

    private func entry(_ name: String, _ dtype: String = "F32", shape: String = "[2]", offsets: String) -> String {
        #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
    }

    func testFileTooShort() {
        assertRejects(Data([1, 0, 0, 0, 0]), .fileTooShort(file: fileName, byteCount: 5))
        assertRejects(Data(), .fileTooShort(file: fileName, byteCount: 0))
    }

    func testHeaderSizeLargerThanFile() {
        assertRejects(safetensorsFile(header: "{}", declaredSize: 1000), .headerSizeExceedsFile(file: fileName, headerSize: 1000, fileSize: 10))
        assertRejects(safetensorsFile(header: "{}", declaredSize: UInt64.max), .headerSizeExceedsFile(file: fileName, headerSize: UInt64.max, fileSize: 10))
    }

    func testHeaderAboveTheReferenceLimit() {
        // A file long enough to hold the declared header, so only the limit can reject it.
        var file = Data(count: 8 + 100_000_001)
        file.replaceSubrange(0..<8, with: littleEndian(UInt64(100_000_001)))
        assertRejects(file, .headerTooLarge(file: fileName, headerSize: 100_000_001, limit: 100_000_000))
    }

    func testHeaderNotJSON() {
        assertRejects(header: #"{"a": "#, .headerNotJSON(file: fileName, reason: "unexpected end of text at byte 6"))
        assertRejects(header: #"{"a": 1} x"#, .headerNotJSON(file: fileName, reason: "unexpected text after the top-level value at byte 9"))
        assertRejects(header: "[1, 2]", .headerNotJSON(file: fileName, reason: "the header is an array, not an object of tensors"))
        assertRejects(header: #"{'a': 1}"#, .headerNotJSON(file: fileName, reason: "expected a string key at byte 1"))
        var invalidUTF8 = safetensorsFile(header: #"{"ab": 1}"#)
        invalidUTF8[8 + 3] = 0xFF
        assertRejects(invalidUTF8, .headerNotJSON(file: fileName, reason: "invalid UTF-8 in a string at byte 4"))
        assertRejects(header: #"{"a": 01}"#, .headerNotJSON(file: fileName, reason: "a number has a leading zero at byte 6"))
        // Padding that is not whitespace.
        assertRejects(safetensorsFile(header: "{}\0\0\0\0\0\0"), .headerNotJSON(file: fileName, reason: "unexpected text after the top-level value at byte 2"))
    }

    func testUnknownDType() {
        assertRejects(header: "{\(entry("w", "F128", offsets: "[0,8]"))}", data: .init(repeating: 0, count: 8),
                      .unknownDType(file: fileName, name: "w", dtype: "F128"))
    }

    func testMalformedEntries() {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(file: fileName, name: "w", reason: reason) }
        assertRejects(header: #"{"w": [1]}"#, invalid("expected an object with dtype, shape and data_offsets, found an array"))
        assertRejects(header: #"{"w": {"shape": [1], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0], invalid("missing field 'dtype'"))
        assertRejects(header: #"{"w": {"dtype": 3}}"#, invalid("'dtype' is a number, not a string"))
        assertRejects(header: #"{"w": {"dtype": "F32", "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0], invalid("missing field 'shape'"))
        assertRejects(header: "{\(entry("w", shape: "[-1]", offsets: "[0,4]"))}", data: [0, 0, 0, 0],
                      invalid("'shape' must be an array of non-negative integers, found [-1]"))
        assertRejects(header: "{\(entry("w", shape: "[1.0]", offsets: "[0,4]"))}", data: [0, 0, 0, 0],
                      invalid("'shape' must be an array of non-negative integers, found [1.0]"))
        assertRejects(header: #"{"w": {"dtype": "F32", "shape": [1]}}"#, invalid("missing field 'data_offsets'"))
        assertRejects(header: "{\(entry("w", offsets: "[0,4,8]"))}", data: .init(repeating: 0, count: 8),
                      invalid("'data_offsets' must be two non-negative integers [begin, end], found [0,4,8]"))
        assertRejects(header: "{\(entry("w", offsets: "[8,0]"))}", data: .init(repeating: 0, count: 8),
                      invalid("data_offsets [8, 0] end before they begin"))
        assertRejects(header: #"{"w": {"dtype": "F32", "dtype": "F32"}}"#, invalid("field 'dtype' appears more than once"))
        assertRejects(header: "{\(entry("w", shape: "[9223372036854775807,4]", offsets: "[0,8]"))}", data: .init(repeating: 0, count: 8),
                      invalid("shape [9223372036854775807, 4] has more elements than can be addressed"))
    }

    func testOffsetsOutOfRangeIsATruncatedFile() {
        assertRejects(header: "{\(entry("w", shape: "[16]", offsets: "[0,64]"))}", data: .init(repeating: 0, count: 16),
                      .offsetsOutOfRange(file: fileName, name: "w", begin: 0, end: 64, dataSize: 16))
    }

    /// Sizes a header claims are checked against the data section before any tensor is copied.
    func testHugeClaimsAreRefusedBeforeAnythingIsCopied() {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(file: fileName, name: "w", reason: reason) }
        assertRejects(header: "{\(entry("w", offsets: "[0,99999999999999999999]"))}", data: .init(repeating: 0, count: 8),
                      invalid("'data_offsets' must be two non-negative integers [begin, end], found [0,99999999999999999999]"))
        assertRejects(header: "{\(entry("w", offsets: "[0,9223372036854775807]"))}", data: .init(repeating: 0, count: 8),
                      .offsetsOutOfRange(file: fileName, name: "w", begin: 0, end: Int.max, dataSize: 8))
        assertRejects(header: "{\(entry("w", shape: "[2305843009213693952]", offsets: "[0,8]"))}", data: .init(repeating: 0, count: 8),
                      invalid("shape [2305843009213693952] has more elements than can be addressed"))
        assertRejects(header: "{\(entry("w", shape: "[1000000000000]", offsets: "[0,8]"))}", data: .init(repeating: 0, count: 8),
                      .sizeMismatch(file: fileName, name: "w", dtype: .float32, shape: [1_000_000_000_000],
                                    expectedBytes: 4_000_000_000_000, foundBytes: 8))
    }

    func testOffsetsNotMatchingShapeTimesDType() {
        assertRejects(header: "{\(entry("w", shape: "[2,2]", offsets: "[0,12]"))}", data: .init(repeating: 0, count: 12),
                      .sizeMismatch(file: fileName, name: "w", dtype: .float32, shape: [2, 2], expectedBytes: 16, foundBytes: 12))
        assertRejects(header: "{\(entry("n", "I64", shape: "[]", offsets: "[0,4]"))}", data: .init(repeating: 0, count: 4),
                      .sizeMismatch(file: fileName, name: "n", dtype: .int64, shape: [], expectedBytes: 8, foundBytes: 4))
    }

    func testOverlappingAndDuplicatedData() {
        let data = [UInt8](repeating: 0, count: 24)
        assertRejects(header: "{\(entry("a", shape: "[4]", offsets: "[0,16]")),\(entry("b", shape: "[4]", offsets: "[8,24]"))}", data: data,
                      .overlappingData(file: fileName, name: "b", other: "a"))
        // Two tensors claiming the same bytes.
        assertRejects(header: "{\(entry("a", shape: "[4]", offsets: "[0,16]")),\(entry("b", shape: "[4]", offsets: "[0,16]"))}",
                      data: .init(repeating: 0, count: 16), .overlappingData(file: fileName, name: "b", other: "a"))
        // A zero-size tensor inside another one's bytes (the reference rejects it too).
        assertRejects(header: "{\(entry("a", shape: "[4]", offsets: "[0,16]")),\(entry("z", shape: "[0]", offsets: "[8,8]"))}",
                      data: .init(repeating: 0, count: 16), .overlappingData(file: fileName, name: "z", other: "a"))
    }

    func testMissingData() {
        assertRejects(header: "{\(entry("a", offsets: "[0,8]")),\(entry("b", offsets: "[16,24]"))}", data: .init(repeating: 0, count: 24),
                      .gapInData(file: fileName, begin: 8, end: 16))
        assertRejects(header: "{\(entry("b", offsets: "[8,16]"))}", data: .init(repeating: 0, count: 16),
                      .gapInData(file: fileName, begin: 0, end: 8))
        assertRejects(header: "{\(entry("a", offsets: "[0,8]"))}", data: .init(repeating: 0, count: 12),
                      .trailingData(file: fileName, dataSize: 12, usedBytes: 8))
        assertRejects(header: "{}", data: [1], .trailingData(file: fileName, dataSize: 1, usedBytes: 0))
    }

    func testDuplicateTensorName() {
        assertRejects(header: "{\(entry("a", offsets: "[0,8]")),\(entry("a", offsets: "[8,16]"))}", data: .init(repeating: 0, count: 16),
                      .duplicateTensor(file: fileName, name: "a"))
    }

    func testInvalidMetadata() {
        assertRejects(header: #"{"__metadata__": {"epoch": 3}}"#, .invalidMetadata(file: fileName, reason: "the value of 'epoch' is a number, not a string"))
        assertRejects(header: #"{"__metadata__": "pt"}"#, .invalidMetadata(file: fileName, reason: "expected an object of strings, found a string"))
        assertRejects(header: #"{"__metadata__": {"a": "1", "a": "2"}}"#, .invalidMetadata(file: fileName, reason: "key 'a' appears more than once"))
        assertRejects(header: #"{"__metadata__": {}, "__metadata__": {}}"#, .invalidMetadata(file: fileName, reason: "it appears more than once"))
    }

    func testUnreadableFile() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let missing = directory.appendingPathComponent("missing.safetensors")
        do {
            _ = try SafeTensors(contentsOf: missing)
            XCTFail("read a missing file")
        } catch {
            guard case .readFailed(let file, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, missing.path)
            XCTAssertEqual(reason, "no such file")
            XCTAssert(error.description.contains(missing.path))
        }
        do {
            _ = try SafeTensors(contentsOf: directory)
            XCTFail("read a directory")
        } catch {
            XCTAssertEqual(error, .readFailed(file: directory.path, reason: "it is a directory"))
        }
    }

    func testEveryMessageNamesTheTensor() {
        let errors: [SafeTensorsError] = [
            .unknownDType(file: fileName, name: "layer1.0.conv1.weight", dtype: "X"),
            .offsetsOutOfRange(file: fileName, name: "layer1.0.conv1.weight", begin: 0, end: 9, dataSize: 4),
            .sizeMismatch(file: fileName, name: "layer1.0.conv1.weight", dtype: .float32, shape: [1], expectedBytes: 4, foundBytes: 8),
            .overlappingData(file: fileName, name: "layer1.0.conv1.weight", other: "fc.bias"),
            .duplicateTensor(file: fileName, name: "layer1.0.conv1.weight"),
            .invalidEntry(file: fileName, name: "layer1.0.conv1.weight", reason: "r"),
        ]
        for error in errors {
            XCTAssert(error.description.contains("'layer1.0.conv1.weight'") && error.description.contains(fileName), error.description)
        }
    }
}
