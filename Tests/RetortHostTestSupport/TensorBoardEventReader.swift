import Foundation

/// Reads TensorBoard event files back, independently of the writer: TFRecord framing with both masked
/// CRC-32Cs checked (the CRC computed bit by bit here), and the protobuf `Event`s decoded field by field
/// (wall_time 1, step 2, file_version 3, summary 5 → value 1 → tag 1 / simple_value 2, session_log 7 →
/// status 1).
public enum TensorBoardEventReader {
    /// One decoded `Event`.
    public struct Event: Equatable {
        public var wallTime: Double = 0
        public var step: Int64 = 0
        public var fileVersion: String?
        /// The `SessionLog` status (1 is `START`), when the event is one.
        public var sessionStatus: Int?
        public var scalars: [Scalar] = []
    }

    /// A `Summary.Value` with its `simple_value`, at the step of its event.
    public struct Scalar: Equatable, CustomStringConvertible {
        public var tag: String
        public var value: Float
        public var step: Int64

        public init(tag: String, value: Float, step: Int64) {
            (self.tag, self.value, self.step) = (tag, value, step)
        }

        public var description: String { "\(tag)@\(step)=\(value)" }
    }

    /// Why a file does not read.
    public enum Failure: Error, Equatable {
        case truncated(offset: Int)
        case lengthChecksum(offset: Int)
        case dataChecksum(offset: Int)
        case malformed(String)
    }

    /// The event files of `folder` (not its subfolders), in name order, as TensorBoard reads them.
    public static func eventFiles(in folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix("events.out.tfevents.") }.sorted().map { folder.appendingPathComponent($0) }
    }

    /// Every record of `data`, each with both CRCs checked.
    public static func records(_ data: Data) throws -> [Data] {
        let bytes = [UInt8](data)
        var records: [Data] = [], offset = 0
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else { throw Failure.truncated(offset: offset) }
            let lengthBytes = Array(bytes[offset..<offset + 8])
            guard UInt32(littleEndian(bytes[offset + 8..<offset + 12])) == maskedCRC32C(lengthBytes) else {
                throw Failure.lengthChecksum(offset: offset)
            }
            let length = Int(littleEndian(lengthBytes[...]))
            let start = offset + 12
            guard length >= 0, start + length + 4 <= bytes.count else { throw Failure.truncated(offset: offset) }
            let payload = Array(bytes[start..<start + length])
            guard UInt32(littleEndian(bytes[start + length..<start + length + 4])) == maskedCRC32C(payload) else {
                throw Failure.dataChecksum(offset: offset)
            }
            records.append(Data(payload))
            offset = start + length + 4
        }
        return records
    }

    /// The events of the file at `url`.
    public static func events(in url: URL) throws -> [Event] {
        try records(Data(contentsOf: url)).map(event)
    }

    /// The scalars of `folder`'s event files as TensorBoard's reader keeps them: in file order, each
    /// `SessionLog.START` at step s dropping the scalars read so far at steps ≥ s.
    public static func loadedScalars(in folder: URL) throws -> [Scalar] {
        var kept: [Scalar] = []
        for file in eventFiles(in: folder) {
            for event in try events(in: file) {
                if event.sessionStatus == 1 { kept.removeAll { $0.step >= event.step } }
                kept += event.scalars
            }
        }
        return kept
    }

    /// One `Event` message.
    public static func event(_ record: Data) throws -> Event {
        var event = Event()
        for field in try fields([UInt8](record)) {
            switch (field.number, field.value) {
            case (1, .fixed64(let bits)): event.wallTime = Double(bitPattern: bits)
            case (2, .varint(let value)): event.step = Int64(bitPattern: value)
            case (3, .bytes(let text)): event.fileVersion = String(decoding: text, as: UTF8.self)
            case (5, .bytes(let summary)):
                for value in try fields(summary) where value.number == 1 {
                    guard case .bytes(let message) = value.value else { throw Failure.malformed("Summary.value is not a message") }
                    var tag: String?, simple: Float?
                    for part in try fields(message) {
                        if case (1, .bytes(let text)) = (part.number, part.value) { tag = String(decoding: text, as: UTF8.self) }
                        if case (2, .fixed32(let bits)) = (part.number, part.value) { simple = Float(bitPattern: bits) }
                    }
                    guard let tag, let simple else { throw Failure.malformed("a Summary.Value without a tag or a simple_value") }
                    event.scalars.append(Scalar(tag: tag, value: simple, step: 0))
                }
            case (7, .bytes(let log)):
                event.sessionStatus = 0
                for part in try fields(log) {
                    if case (1, .varint(let status)) = (part.number, part.value) { event.sessionStatus = Int(status) }
                }
            default: throw Failure.malformed("unexpected Event field \(field.number) (\(field.value))")
            }
        }
        for index in event.scalars.indices { event.scalars[index].step = event.step }
        return event
    }

    /// A protobuf field's value by wire type.
    enum Value {
        case varint(UInt64), fixed64(UInt64), bytes([UInt8]), fixed32(UInt32)
    }

    /// The fields of one protobuf message, in order.
    static func fields(_ bytes: [UInt8]) throws -> [(number: Int, value: Value)] {
        var offset = 0, fields: [(Int, Value)] = []
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard offset < bytes.count, shift < 64 else { throw Failure.malformed("a varint runs past the message") }
                let byte = bytes[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        func take(_ count: Int) throws -> [UInt8] {
            guard count >= 0, offset + count <= bytes.count else { throw Failure.malformed("a field runs past the message") }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }
        while offset < bytes.count {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append((number, .varint(try varint())))
            case 1: fields.append((number, .fixed64(littleEndian(try take(8)[...]))))
            case 2: fields.append((number, .bytes(try take(Int(try varint())))))
            case 5: fields.append((number, .fixed32(UInt32(littleEndian(try take(4)[...])))))
            default: throw Failure.malformed("wire type \(key & 7) of field \(number)")
            }
        }
        return fields
    }

    /// CRC-32C bit by bit (reflected Castagnoli polynomial 0x82F63B78), masked as TFRecord stores it.
    public static func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        crc = ~crc
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    private static func littleEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
}
