import Foundation
import RetortHostTestSupport
import RetortReport
import XCTest

/// CRC-32C against published check values, its TFRecord mask, and a bit-by-bit computation.
final class CRC32CTests: XCTestCase {
    func testCheckValues() {
        // The catalogue's check value of CRC-32C, and the iSCSI test vectors of RFC 3720 B.4.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }), 0x113F_DB5C)
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    func testMaskRotatesRightBy15AndAddsTheConstant() {
        XCTAssertEqual(CRC32C.mask(0), 0xA282_EAD8)
        // 0xE3069283 rotated right by 15 bits is 0x2507C60D; plus 0xA282EAD8 (wrapping) is 0xC78AB0E5.
        XCTAssertEqual(CRC32C.masked(Array("123456789".utf8)), 0xC78A_B0E5)
        // The addition wraps: 0x80000000 rotated right by 15 is 0x00010000.
        XCTAssertEqual(CRC32C.mask(0xFFFF_FFFF), 0xFFFF_FFFF &+ 0xA282_EAD8)
        XCTAssertEqual(CRC32C.mask(0x8000_0000), 0x0001_0000 + 0xA282_EAD8)
    }

    func testTableAgreesWithTheBitwiseComputation() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in [1, 7, 8, 63, 1000] {
            let bytes = (0..<length).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            XCTAssertEqual(CRC32C.masked(bytes), TensorBoardEventReader.maskedCRC32C(bytes), "\(length) bytes")
        }
    }
}
