import CZlib
import Foundation

/// A fuzz input read as a mode byte and a file. Bit 0 of the mode gzip-compresses the file before the
/// reader sees it, so the fuzzer reaches the reader's header checks through its gzip path too (a
/// mutated gzip file almost never passes the CRC; a compressed mutated file always does). The other
/// bits are the target's to use.
struct FuzzedFile {
    let mode: UInt8
    /// `name`, with `.gz` appended when compressed.
    let name: String
    /// The file as stored.
    let bytes: Data

    /// Nil for an empty input.
    init?(_ data: UnsafePointer<UInt8>, _ size: Int, name: String) {
        guard size > 0 else { return nil }
        mode = data[0]
        let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
        let compressed = mode & 1 == 1
        self.name = compressed ? name + ".gz" : name
        bytes = Data(compressed ? Self.gzip(body) : body)
    }

    /// `bytes` as one gzip member (fastest level: the fuzzer runs it on every input).
    private static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { deflateEnd(stream); stream.deinitialize(count: 1); stream.deallocate() }
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        precondition(deflateInit2_(stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                                   Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, UInt(bytes.count))) + 32)
        let written = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.pointee.next_in = inputBuffer.baseAddress
                stream.pointee.avail_in = UInt32(inputBuffer.count)
                stream.pointee.next_out = outputBuffer.baseAddress
                stream.pointee.avail_out = UInt32(outputBuffer.count)
                precondition(deflate(stream, Z_FINISH) == Z_STREAM_END)
                return outputBuffer.count - Int(stream.pointee.avail_out)
            }
        }
        return Array(output.prefix(written))
    }
}
