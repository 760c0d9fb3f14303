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
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

}
