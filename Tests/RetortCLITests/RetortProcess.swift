import Foundation

/// Runs the built `retort` binary the way a user does, capturing output and exit status.
enum RetortProcess {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    /// The `retort` executable built next to the test bundle (this test target depends on it).
    static var binary: URL {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                          Bundle.main.executableURL?.deletingLastPathComponent()].compactMap { $0 }
        let found = candidates.map { $0.appending(path: "retort") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return found ?? Bundle.main.bundleURL.appending(path: "retort")
    }

    /// Runs `executable` (by default the `retort` binary) with `arguments`, its environment this
    /// process's plus `extra`.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], executable: URL? = nil) throws -> Run {
        let process = Process()
        process.executableURL = executable ?? binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { $1 }
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Both pipes are drained at once: reading one to its end first would hang as soon as the
        // other filled its buffer (64 KiB: a long error report, a sanitizer's).
        let errorsRead = DispatchGroup()
        nonisolated(unsafe) var err = Data()
        DispatchQueue.global().async(group: errorsRead) { err = errors.fileHandleForReading.readDataToEndOfFile() }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    /// What a run killed from outside printed, and whether the kill came before it ended.
    struct KilledRun {
        var killed: Bool
        /// The exit status (SIGKILL's when killed).
        var status: Int32
        var output: String
        /// When `marker` first appeared in the output, in seconds from the start.
        var markerSeconds: Double?
    }

    /// Runs the binary and sends it SIGKILL `delay` seconds after it starts, or after `marker` first
    /// appears in its output when `fromMarker` (unless it ended before): no signal handler, no
    /// flush, as a crash or an out-of-memory kill (or `signal` instead: SIGINT is Ctrl-C). Output and
    /// errors go to `log`.
    static func runKilled(_ arguments: [String], after delay: Double, log: URL, marker: String? = nil,
                          fromMarker: Bool = false, signal: Int32 = SIGKILL) throws -> KilledRun {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        let started = Date()
        try process.run()
        var markerSeconds: Double?
        func deadline() -> Date? {
            fromMarker ? markerSeconds.map { started.addingTimeInterval($0 + delay) } : started.addingTimeInterval(delay)
        }
        while process.isRunning, deadline().map({ Date() < $0 }) ?? true {
            usleep(2_000)
            if let marker, markerSeconds == nil, ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains(marker) {
                markerSeconds = Date().timeIntervalSince(started)
            }
        }
        let killed = process.isRunning
        if killed { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return KilledRun(killed: killed, status: process.terminationStatus, output: (try? String(contentsOf: log, encoding: .utf8)) ?? "",
                         markerSeconds: markerSeconds)
    }

}
