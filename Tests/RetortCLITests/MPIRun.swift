import Foundation
import XCTest

/// Runs the built `retort` binary as an Open MPI job (`mpirun -np N retort …`), the way a user starts
/// data-parallel training: oversubscribed (more ranks than cores are fine here), not bound to cores
/// (lavapipe's threads need them all), allowed as root (CI runs as root). Every job runs under a
/// watchdog: one that has not ended after ``watchdog`` seconds is killed and fails the test, so a
/// hang fails the test instead of the CI run.
enum MPIRun {
    /// How long a job may run before the watchdog kills it and fails the test.
    static let watchdog: TimeInterval = 120

    /// One program of a job: `-np ranks [-x NAME=value …] retort arguments…`. Several make an MPMD job
    /// (`mpirun -np 1 retort … : -np 1 retort …`), each with its own arguments and environment.
    struct App {
        var ranks: Int
        var arguments: [String]
        /// Set on this program's ranks only (`-x NAME=value`).
        var environment: [String: String] = [:]
    }

    /// Open MPI's launcher, or a test failure saying how to install it.
    static func launcher(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in ["/usr/bin", "/usr/local/bin"] + path {
            let candidate = URL(fileURLWithPath: directory).appending(path: "mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        XCTFail("mpirun not found: install Open MPI (`make deps`, or apt-get install openmpi-bin libopenmpi-dev)", file: file, line: line)
        throw CocoaError(.fileNoSuchFile)
    }

    /// `mpirun -np ranks retort arguments…`; `environment` reaches every rank (`-x`), `options` go to
    /// mpirun itself (e.g. `["--mca", "btl", "self,tcp"]`).
    static func run(ranks: Int, _ arguments: [String], environment: [String: String] = [:], options: [String] = [],
                    timeout: TimeInterval = watchdog, file: StaticString = #filePath, line: UInt = #line) throws -> RetortProcess.Run {
        try run([App(ranks: ranks, arguments: arguments)], environment: environment, options: options, timeout: timeout,
                file: file, line: line)
    }

    /// The MPMD job of `apps`, waited for under the watchdog.
    static func run(_ apps: [App], environment: [String: String] = [:], options: [String] = [], timeout: TimeInterval = watchdog,
                    file: StaticString = #filePath, line: UInt = #line) throws -> RetortProcess.Run {
        try Job(apps, environment: environment, options: options, file: file, line: line).wait(timeout: timeout, file: file, line: line)
    }

    /// mpirun's command line for `retort arguments` on `ranks` ranks.
    static func arguments(ranks: Int, _ arguments: [String], environment: [String: String] = [:], options: [String] = []) -> [String] {
        self.arguments([App(ranks: ranks, arguments: arguments)], environment: environment, options: options)
    }

    /// mpirun's command line for the programs of `apps`, separated by `:`.
    static func arguments(_ apps: [App], environment: [String: String] = [:], options: [String] = []) -> [String] {
        let programs = apps.map { app in
            ["-np", "\(app.ranks)"] + app.environment.keys.sorted().flatMap { ["-x", "\($0)=\(app.environment[$0] ?? "")"] }
                + [RetortProcess.binary.path] + app.arguments
        }
        return ["--oversubscribe", "--bind-to", "none"] + environment.keys.sorted().flatMap { ["-x", $0] } + options
            + Array(programs.joined(separator: [":"]))
    }

    /// What every test job runs with: permission to start as root (CI runs as root), and shared memory
    /// without single-copy transfers (those need ptrace rights between the ranks, which containers
    /// often withhold: "Read -1, expected …, errno = 1").
    static let jobEnvironment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                                 "OMPI_MCA_btl_vader_single_copy_mechanism": "none"]

    /// A started `mpirun` job, its output and errors going to files: wait for it, or find its rank
    /// processes to kill one.
    final class Job {
        let process = Process()
        let started = Date()
        private let folder: URL
        private var output: URL { folder.appending(path: "output") }
        private var errors: URL { folder.appending(path: "errors") }

        init(_ apps: [App], environment: [String: String] = [:], options: [String] = [],
             file: StaticString = #filePath, line: UInt = #line) throws {
            folder = FileManager.default.temporaryDirectory.appending(path: "retort-mpirun-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: output.path, contents: nil)
            FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.executableURL = try MPIRun.launcher(file: file, line: line)
            process.arguments = MPIRun.arguments(apps, environment: environment, options: options)
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.merging(MPIRun.jobEnvironment) { $1 }
            process.standardOutput = try FileHandle(forWritingTo: output)
            process.standardError = try FileHandle(forWritingTo: errors)
            try process.run()
        }

        deinit {
            if process.isRunning { killAll() }
            try? FileManager.default.removeItem(at: folder)
        }

        /// The output so far.
        var outputSoFar: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        /// The job's rank processes by rank: mpirun's children running the `retort` binary (the
        /// rank from the `OMPI_COMM_WORLD_RANK` Open MPI gives each).
        func ranks() -> [Int: pid_t] {
            let binary = RetortProcess.binary.resolvingSymlinksInPath().path
            var found: [Int: pid_t] = [:]
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = pid_t(entry), Self.parent(of: pid) == process.processIdentifier,
                      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == binary,
                      let environment = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")) else { continue }
                let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                if let rank = variables.first(where: { $0.hasPrefix("OMPI_COMM_WORLD_RANK=") }).flatMap({ Int($0.dropFirst(21)) }) {
                    found[rank] = pid
                }
            }
            return found
        }

        /// Waits for the job to end; one still running after `timeout` seconds is killed (mpirun and
        /// its ranks) and fails the test.
        func wait(timeout: TimeInterval, file: StaticString = #filePath, line: UInt = #line) -> RetortProcess.Run {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning {
                XCTFail("mpirun \(process.arguments?.joined(separator: " ") ?? "") did not end within \(Int(timeout)) s: killed "
                        + "(a hang)\n\(outputSoFar)", file: file, line: line)
                killAll()
            }
            process.waitUntilExit()
            return RetortProcess.Run(status: process.terminationStatus, output: outputSoFar,
                                     errors: (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
        }

        /// Polls `condition` every 10 ms until it holds (true) or the job ends or `timeout` passes (false).
        func wait(until condition: () -> Bool, timeout: TimeInterval) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline {
                if condition() { return true }
                usleep(10_000)
            }
            return false
        }

        private func killAll() {
            for pid in ranks().values { kill(pid, SIGKILL) }
            kill(process.processIdentifier, SIGKILL)
        }

        /// The parent of `pid` from `/proc/<pid>/stat` (the field after the parenthesized command name).
        private static func parent(of pid: pid_t) -> pid_t? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 ? pid_t(fields[1]) : nil
        }
    }
}
