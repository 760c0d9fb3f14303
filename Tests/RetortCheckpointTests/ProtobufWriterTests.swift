import RetortCheckpoint
import XCTest

/// Each wire type's bytes, worked out by hand from the protobuf encoding rules.
final class ProtobufWriterTests: XCTestCase {
    func testVarints() {
        var message = ProtobufWriter()
        message.varint(1, 150)  // key 1 << 3 | 0 = 0x08; 150 = 0b1_0010110 → 0x96 0x01
        message.varint(2, 0)
        message.varint(3, -1)   // two's complement: ten bytes, nine 0xFF and 0x01
        XCTAssertEqual(message.bytes, [0x08, 0x96, 0x01, 0x10, 0x00, 0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    func testFixedWidthNumbersAreLittleEndian() {
        var message = ProtobufWriter()
        message.double(1, 1.5)   // key 0x09; 1.5 = 0x3FF8000000000000
        message.float(2, 0.25)   // key 0x15; 0.25 = 0x3E800000
        XCTAssertEqual(message.bytes, [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x15, 0, 0, 0x80, 0x3E])
    }

    func testStringsAndNestedMessagesAreLengthDelimited() {
        var inner = ProtobufWriter()
        inner.string(2, "testing")  // key 0x12, length 7, the UTF-8 bytes
        XCTAssertEqual(inner.bytes, [0x12, 0x07] + Array("testing".utf8))
        var outer = ProtobufWriter()
        outer.message(3, inner)     // key 0x1A, length 9
        XCTAssertEqual(outer.bytes, [0x1A, 0x09] + inner.bytes)
        var long = ProtobufWriter()
        long.string(1, String(repeating: "a", count: 200))  // length 200 as a varint: 0xC8 0x01
        XCTAssertEqual(Array(long.bytes.prefix(3)), [0x0A, 0xC8, 0x01])
        XCTAssertEqual(long.bytes.count, 203)
    }
}
