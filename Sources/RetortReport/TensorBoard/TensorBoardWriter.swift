import Foundation

/// Writes one TensorBoard event file: `events.out.tfevents.<seconds>.<host>.<pid>.<n>` in a folder,
/// TFRecord-framed ``TensorBoardEvent``s, the first saying the file version. `tensorboard --logdir`
/// shows every folder below it that holds such files as a run.
///
/// The file is an append-only log: each call of ``write(_:)`` appends its records with one `write(2)`,
/// so a process killed between calls leaves whole records. A process that starts again (a resumed run)
/// opens a new file, which sorts after the folder's earlier ones (TensorBoard reads them in name
/// order), and marks where it restarts (``TensorBoardEvent/Content/sessionStart``).
public final class TensorBoardWriter {
    /// The event file.
    public let url: URL
    private let handle: FileHandle

    /// A write that failed: the file and why.
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var reason: String

        public var description: String { "cannot write TensorBoard events to '\(path)': \(reason)" }
    }

    /// The prefix of every event file's name.
    public static let fileNamePrefix = "events.out.tfevents."

    /// Whether `name` is an event file's name.
    public static func isEventFile(_ name: String) -> Bool { name.hasPrefix(fileNamePrefix) }

    /// Creates `directory` when missing and a new event file in it holding the file-version record.
    /// The name's seconds are those of `date`, or one more than the latest of the folder's event
    /// files when that is not earlier, so that the new file sorts last; `<n>` counts the folder's
    /// earlier event files.
    public init(directory: URL, date: Date = Date(), host: String = TensorBoardWriter.hostName,
                processID: Int32 = ProcessInfo.processInfo.processIdentifier) throws(Failure) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(path: directory.path, reason: "cannot create the folder: \(Self.reason(error))")
        }
        let earlier = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter(Self.isEventFile)
        let latest = earlier.compactMap { Int($0.dropFirst(Self.fileNamePrefix.count).prefix { $0 != "." }) }.max()
        let seconds = max(Int(date.timeIntervalSince1970), latest.map { $0 + 1 } ?? 0)
        let safeHost = String(host.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
        let name = Self.fileNamePrefix + "\(seconds).\(safeHost.isEmpty ? "localhost" : safeHost).\(processID).\(earlier.count)"
        url = directory.appendingPathComponent(name)
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw Failure(path: url.path, reason: String(cString: strerror(errno))) }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try write([TensorBoardEvent(wallTime: date.timeIntervalSince1970, step: 0, .fileVersion(TensorBoardEvent.fileVersion))])
    }

    /// Appends `events`, each a framed record, with one write.
    public func write(_ events: [TensorBoardEvent]) throws(Failure) {
        let records = events.flatMap { TFRecord.framed($0.encoded) }
        do {
            try handle.write(contentsOf: records)
        } catch {
            throw Failure(path: url.path, reason: Self.reason(error))
        }
    }

    /// Appends one event of `scalars` at `step`.
    public func write(_ scalars: [TensorBoardScalar], step: Int, wallTime: Date = Date()) throws(Failure) {
        try write([TensorBoardEvent(wallTime: wallTime.timeIntervalSince1970, step: Int64(step), .scalars(scalars))])
    }

    /// Flushes the file to disk.
    public func flush() throws(Failure) {
        do {
            try handle.synchronize()
        } catch {
            throw Failure(path: url.path, reason: "flushing failed: \(Self.reason(error))")
        }
    }

    /// This machine's name, as `gethostname(2)` gives it (no name lookup, which can hang without a network).
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The system's words for a failed file operation (`File too large`, `No space left on device`).
    private static func reason(_ error: any Error) -> String {
        let error = error as NSError
        let posix = [error, error.userInfo[NSUnderlyingErrorKey] as? NSError].compactMap { $0 }.first { $0.domain == NSPOSIXErrorDomain }
        return posix.map { String(cString: strerror(Int32($0.code))) } ?? error.localizedDescription
    }
}
