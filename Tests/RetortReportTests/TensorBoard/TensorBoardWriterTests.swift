import Foundation
import RetortHostTestSupport
import RetortReport
import XCTest

/// A written event file walks record by record with every CRC right, and its scalars decode back; a
/// second writer in the folder (a resumed run) opens a file that TensorBoard reads after the first.
final class TensorBoardWriterTests: XCTestCase {
    func testWrittenFileDecodesBack() throws {
        let folder = try makeTemporaryDirectory(for: self).appendingPathComponent("run")
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        let writer = try TensorBoardWriter(directory: folder, date: date, host: "node 7/a", processID: 42)
        XCTAssertEqual(writer.url.lastPathComponent, "events.out.tfevents.1700000000.node_7_a.42.0")
        try writer.write([TensorBoardScalar("train/step_loss", 2.25)], step: 0, wallTime: date)
        try writer.write([TensorBoardScalar("train/loss", 1.5), TensorBoardScalar("test/top1", 0.8125)], step: 8, wallTime: date)
        try writer.flush()

        let events = try TensorBoardEventReader.events(in: writer.url)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events.first?.fileVersion, "brain.Event:2", "the first record is the file version")
        XCTAssertEqual(events.map(\.wallTime), [date.timeIntervalSince1970, date.timeIntervalSince1970, date.timeIntervalSince1970])
        XCTAssertEqual(events.flatMap(\.scalars), [.init(tag: "train/step_loss", value: 2.25, step: 0),
                                                   .init(tag: "train/loss", value: 1.5, step: 8),
                                                   .init(tag: "test/top1", value: 0.8125, step: 8)])

        var bytes = try [UInt8](Data(contentsOf: writer.url))
        bytes[bytes.count - 6] ^= 1
        XCTAssertThrowsError(try TensorBoardEventReader.records(Data(bytes)), "a damaged byte fails the data CRC")
    }

    func testAResumedWriterSortsAfterAndItsRestartDropsOrphanedSteps() throws {
        let folder = try makeTemporaryDirectory(for: self)
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let first = try TensorBoardWriter(directory: folder, date: date, host: "h", processID: 9)
        for step in [0, 50, 100, 150] { try first.write([TensorBoardScalar("train/step_loss", Float(step))], step: step) }
        // Started again in the same second, by a process with a smaller id: its name still sorts last.
        let second = try TensorBoardWriter(directory: folder, date: date, host: "h", processID: 3)
        XCTAssertEqual(second.url.lastPathComponent, "events.out.tfevents.1700000001.h.3.1")
        XCTAssertEqual(TensorBoardEventReader.eventFiles(in: folder), [first.url, second.url])
        try second.write([TensorBoardEvent(wallTime: 0, step: 100, .sessionStart)])
        try second.write([TensorBoardScalar("train/step_loss", Float(101))], step: 100)
        XCTAssertEqual(try TensorBoardEventReader.loadedScalars(in: folder).map { [Float($0.step), $0.value] },
                       [[0, 0], [50, 50], [100, 101]])
    }

    func testAFileWhereTheFolderShouldBeFailsNamingIt() throws {
        let file = try makeTemporaryDirectory(for: self).appendingPathComponent("taken")
        try Data("x".utf8).write(to: file)
        XCTAssertThrowsError(try TensorBoardWriter(directory: file)) { error in
            let failure = error as? TensorBoardWriter.Failure
            XCTAssertEqual(failure?.path, file.path)
            XCTAssert(failure?.description.hasPrefix("cannot write TensorBoard events to '\(file.path)'") ?? false, "\(error)")
        }
    }
}
