import CZlib
import Foundation

/// Decompresses gzip data in pieces, so a reader can check a file's header before it decides how
/// much more to decompress (a small file that claims, or holds, gigabytes is refused without
/// decompressing them). Reads every member of a multi-member file, as `gunzip` does; bytes after
/// the last member that do not start another one are an error.
final class GzipInflater {
    /// The most bytes deflate can produce from one compressed byte (its ratio is at most 1032:1).
    static let maximumExpansion = 1032

    private let input: Data
    private let name: String
    private let stream: UnsafeMutablePointer<z_stream>
    private var consumed = 0
    private var produced = 0
    private var finished = false

    /// Starts decompressing `input`; `name` (the file's) goes into errors.
    init(_ input: Data, name: String) throws(DataError) {
        self.input = input
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16: a gzip header and trailer (CRC-32 and length checked).
        let status = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw .unreadable(file: name, reason: "cannot start gzip decompression (zlib status \(status))") }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// The size of the compressed data.
    var compressedByteCount: Int { input.count }

    /// An upper bound on the bytes still to come: what the compressed data can hold at deflate's
    /// largest ratio, less what was already produced.
    var maximumRemainingBytes: Int {
        guard !finished else { return 0 }
        let (bound, overflow) = input.count.multipliedReportingOverflow(by: Self.maximumExpansion)
        return overflow ? Int.max : max(0, bound - produced)
    }

    /// The next `count` decompressed bytes, or fewer at the end of the data.
    func read(upTo count: Int) throws(DataError) -> [UInt8] {
        var output: [UInt8] = []
        while output.count < count, !finished {
            // Grow in pieces: memory follows the data actually there, not what was asked for.
            let piece = min(count - output.count, 1 << 20)
            // Filled in place and appended whole (memcpy): element-wise growth is slow in debug builds.
            var failure: DataError?
            let chunk = [UInt8](unsafeUninitializedCapacity: piece) { buffer, initialized in
                do throws(DataError) {
                    initialized = try inflate(into: UnsafeMutableRawBufferPointer(buffer))
                } catch {
                    failure = error
                    initialized = 0
                }
            }
            if let failure { throw failure }
            output += chunk
        }
        return output
    }

    /// Decompresses and discards the rest of the data; returns how many bytes it held.
    func skipRemaining() throws(DataError) -> Int {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        var total = 0
        while !finished {
            total += try scratch.withUnsafeMutableBytes { buffer in Result { () throws(DataError) in try inflate(into: buffer) } }.get()
        }
        return total
    }

    /// One or more zlib calls that fill some of `buffer`; returns the bytes written (0 only at the end).
    private func inflate(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        while true {
            let (status, written) = input.withUnsafeBytes { raw in
                let base = raw.bindMemory(to: UInt8.self).baseAddress.map { $0 + consumed }
                stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
                stream.pointee.avail_in = UInt32(clamping: raw.count - consumed)
                stream.pointee.next_out = buffer.bindMemory(to: UInt8.self).baseAddress
                stream.pointee.avail_out = UInt32(clamping: buffer.count)
                let before = stream.pointee.avail_in
                let status = CZlib.inflate(stream, Z_NO_FLUSH)
                consumed += Int(before - stream.pointee.avail_in)
                return (status, buffer.count - Int(stream.pointee.avail_out))
            }
            produced += written
            switch status {
            case Z_OK:
                if written > 0 { return written }
            case Z_STREAM_END:
                try startNextMember()
                if written > 0 || finished { return written }
            case Z_BUF_ERROR where consumed == input.count:
                throw .unreadable(file: name, reason: "truncated gzip stream (it ends before its last block)")
            case Z_MEM_ERROR:
                throw .unreadable(file: name, reason: "out of memory while decompressing")
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw .unreadable(file: name, reason: "corrupt gzip data (\(message))")
            }
        }
    }

    /// After a member's end: done at the end of the input, else the next member must start here.
    private func startNextMember() throws(DataError) {
        let rest = input.count - consumed
        guard rest > 0 else { finished = true; return }
        let start = input.index(input.startIndex, offsetBy: consumed)
        guard rest >= 2, input[start] == 0x1f, input[input.index(after: start)] == 0x8b else {
            throw .unreadable(file: name, reason: "\(rest) bytes after the end of the gzip stream")
        }
        inflateReset(stream)
    }
}
