import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file atomically: readers see the old file or the new one, never a partial write.
enum AtomicFile {
    struct Failure: Error {
        var reason: String
    }

    /// Writes `data` to a temporary file next to `url` (same directory, so the rename stays on one
    /// file system), flushes it to disk, renames it over `url` and flushes the directory. On any
    /// failure the temporary file is removed and `url` is left as it was.
    static func write(_ data: Data, to url: URL) throws(Failure) {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw Failure(reason: "cannot create a temporary file in '\(directory)': \(lastError())")
        }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }

        let writeError: Int32? = data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = systemWrite(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let writeError {
            close(descriptor)
            throw Failure(reason: "writing '\(temporary)' failed: \(String(cString: strerror(writeError)))")
        }
        guard fsync(descriptor) == 0 else {
            let reason = lastError()
            close(descriptor)
            throw Failure(reason: "flushing '\(temporary)' failed: \(reason)")
        }
        guard close(descriptor) == 0 else { throw Failure(reason: "closing '\(temporary)' failed: \(lastError())") }
        guard rename(temporary, path) == 0 else {
            throw Failure(reason: "cannot replace '\(path)': \(lastError())")
        }
        renamed = true

        // Make the rename itself durable; a failure here does not undo the write.
        let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// `write(2)`, under a name that does not clash with `AtomicFile.write`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, buffer, count)
    #elseif canImport(Musl)
    Musl.write(descriptor, buffer, count)
    #else
    Darwin.write(descriptor, buffer, count)
    #endif
}
