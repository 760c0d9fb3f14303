import Foundation
import RetortHostTestSupport
import RetortReport
import XCTest

/// The framing: length, masked CRC of the length, data, masked CRC of the data; one damaged byte
/// anywhere in a record fails the reader's check.
final class TFRecordTests: XCTestCase {
    func testLayout() {
        let data = Array("abc".utf8)
        let record = TFRecord.framed(data)
        XCTAssertEqual(record.count, 8 + 4 + 3 + 4)
        XCTAssertEqual(Array(record[0..<8]), [3, 0, 0, 0, 0, 0, 0, 0])
        func uint32(_ bytes: ArraySlice<UInt8>) -> UInt32 { bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        XCTAssertEqual(uint32(record[8..<12]), TensorBoardEventReader.maskedCRC32C([3, 0, 0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(Array(record[12..<15]), data)
        XCTAssertEqual(uint32(record[15..<19]), TensorBoardEventReader.maskedCRC32C(data))
        XCTAssertEqual(TFRecord.framed([]).count, 16)
    }

    func testEveryDamagedByteIsDetected() throws {
        let file = TFRecord.framed(Array("first".utf8)) + TFRecord.framed(Array("second record".utf8))
        XCTAssertEqual(try TensorBoardEventReader.records(Data(file)), [Data("first".utf8), Data("second record".utf8)])
        for offset in file.indices {
            var damaged = file
            damaged[offset] ^= 0x20
            XCTAssertThrowsError(try TensorBoardEventReader.records(Data(damaged)), "byte \(offset) flipped") { error in
                // The first record is 21 bytes; a damaged length (or its CRC) fails the length's CRC, before any read of the data.
                let start = offset < 21 ? 0 : 21
                let expected: TensorBoardEventReader.Failure = offset - start < 12
                    ? .lengthChecksum(offset: start) : .dataChecksum(offset: start)
                XCTAssertEqual(error as? TensorBoardEventReader.Failure, expected, "byte \(offset) flipped")
            }
        }
        XCTAssertThrowsError(try TensorBoardEventReader.records(Data(file.dropLast(1))))
    }
}
