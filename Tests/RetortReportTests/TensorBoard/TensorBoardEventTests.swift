import Foundation
import RetortHostTestSupport
import RetortReport
import XCTest

/// The bytes of `Event` messages against bytes encoded by hand from event.proto and summary.proto,
/// and the independent reader decoding them back.
final class TensorBoardEventTests: XCTestCase {
    func testScalarEventBytes() throws {
        let event = TensorBoardEvent(wallTime: 1.5, step: 300, .scalars([TensorBoardScalar("train/loss", Float(0.25))]))
        let expected: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F]  // wall_time (1, fixed64) = 1.5
            + [0x10, 0xAC, 0x02]                                       // step (2, varint) = 300 = 0x2C | 0x80, 300 >> 7
            + [0x2A, 19]                                               // summary (5, message) of 19 bytes
            + [0x0A, 17]                                               //   value (1, message) of 17 bytes
            + [0x0A, 10] + Array("train/loss".utf8)                    //     tag (1, string)
            + [0x15, 0, 0, 0x80, 0x3E]                                 //     simple_value (2, fixed32) = 0.25
        XCTAssertEqual(event.encoded, expected)
        let decoded = try TensorBoardEventReader.event(Data(event.encoded))
        XCTAssertEqual(decoded.wallTime, 1.5)
        XCTAssertEqual(decoded.scalars, [.init(tag: "train/loss", value: 0.25, step: 300)])
    }

    func testFileVersionAndSessionStartBytes() throws {
        let version = TensorBoardEvent(wallTime: 2, step: 0, .fileVersion("brain.Event:2"))
        XCTAssertEqual(version.encoded, [0x09, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x10, 0x00, 0x1A, 13] + Array("brain.Event:2".utf8))
        let start = TensorBoardEvent(wallTime: 2, step: 7, .sessionStart)
        // session_log (7, message) of 2 bytes: status (1, varint) = START (1).
        XCTAssertEqual(start.encoded, [0x09, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x10, 0x07, 0x3A, 0x02, 0x08, 0x01])
        XCTAssertEqual(try TensorBoardEventReader.event(Data(version.encoded)).fileVersion, "brain.Event:2")
        let decodedStart = try TensorBoardEventReader.event(Data(start.encoded))
        XCTAssertEqual(decodedStart.sessionStatus, 1)
        XCTAssertEqual(decodedStart.step, 7)
    }

    func testSeveralScalarsInOneEventKeepTheirOrderAndFloatValues() throws {
        let scalars = [TensorBoardScalar("test/top1", 0.8765), TensorBoardScalar("lr", 0.05), TensorBoardScalar("epoch", 3.0)]
        let decoded = try TensorBoardEventReader.event(Data(TensorBoardEvent(wallTime: 0, step: 1_000_000, .scalars(scalars)).encoded))
        XCTAssertEqual(decoded.scalars.map(\.tag), ["test/top1", "lr", "epoch"])
        XCTAssertEqual(decoded.scalars.map(\.value), [Float(0.8765), Float(0.05), 3])
        XCTAssertEqual(decoded.step, 1_000_000)
    }
}
