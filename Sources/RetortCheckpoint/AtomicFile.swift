import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file atomically: readers see the old file or the new one, never a partial write. A
/// write that fails (no space, file too large, read-only folder, a folder in the way) removes its
/// temporary file and leaves the file that was there before as it was.
///
/// Several files that belong together (a checkpoint's weights and optimizer state) are written as one
/// by ``AtomicFileGroup``.
package enum AtomicFile {
    /// A write that failed; `path` is the file that was to be written.
    package struct Failure: Error, CustomStringConvertible {
        package var path: String
        package var reason: String

        package var description: String { "cannot write '\(path)': \(reason)" }
    }

    /// A file written in full to a temporary file beside its target and flushed to disk, waiting to
    /// replace the target (``commit()``); it removes the temporary file when dropped uncommitted.
    final class Staged {
        let target: String
        let temporary: String
        private var committed = false

        fileprivate init(target: String, temporary: String) {
            self.target = target
            self.temporary = temporary
        }

        deinit { if !committed { unlink(temporary) } }

        /// Renames the temporary file over the target and flushes the folder.
        func commit() throws(Failure) {
            guard rename(temporary, target) == 0 else {
                throw Failure(path: target, reason: "cannot replace it: \(lastError()) (the previous file is left as it was)")
            }
            committed = true
            // Make the rename itself durable; a failure here does not undo the write.
            let directoryDescriptor = open(URL(fileURLWithPath: target).deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
            if directoryDescriptor >= 0 {
                _ = fsync(directoryDescriptor)
                close(directoryDescriptor)
            }
        }
    }

    /// Writes `data` to a temporary file next to `url` (same directory, so the rename stays on one
    /// file system), flushes it to disk, renames it over `url` and flushes the directory. On any
    /// failure the temporary file is removed and `url` is left as it was.
    package static func write(_ data: Data, to url: URL) throws(Failure) {
        try stage(data, at: url).commit()
    }

    /// ``write(_:to:)`` of a text in UTF-8.
    package static func write(_ text: String, to url: URL) throws(Failure) {
        try write(Data(text.utf8), to: url)
    }

    /// Writes `data` in full to a temporary file beside `url` and flushes it; `url` is not touched
    /// until ``Staged/commit()``.
    static func stage(_ data: Data, at url: URL) throws(Failure) -> Staged {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        let kept = "(the previous file is left as it was)"

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw Failure(path: path, reason: "cannot create a temporary file in '\(directory)': \(lastError()) \(kept)")
        }
        let staged = Staged(target: path, temporary: temporary)
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
            throw Failure(path: path, reason: "writing '\(temporary)' failed: \(String(cString: strerror(writeError))) \(kept)")
        }
        guard fsync(descriptor) == 0 else {
            let reason = lastError()
            close(descriptor)
            throw Failure(path: path, reason: "flushing '\(temporary)' failed: \(reason) \(kept)")
        }
        guard close(descriptor) == 0 else { throw Failure(path: path, reason: "closing '\(temporary)' failed: \(lastError()) \(kept)") }
        return staged
    }
}

private func lastError() -> String { String(cString: strerror(errno)) }

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
