import Foundation
import XCTest

/// Runs the built `retort` binary as an Open MPI job (`mpirun -np N retort …`), the way a user
/// starts data-parallel training: oversubscribed (more ranks than cores are fine here), not bound to
/// cores (lavapipe's threads need them all), allowed as root (CI runs as root).
enum MPIRun {
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
                    file: StaticString = #filePath, line: UInt = #line) throws -> RetortProcess.Run {
        let mpirun = try launcher(file: file, line: line)
        return try RetortProcess.run(self.arguments(ranks: ranks, arguments, environment: environment, options: options),
                                     environment: environment.merging(rootPermission) { $1 }, executable: mpirun)
    }

    /// mpirun's command line for `retort arguments` on `ranks` ranks.
    static func arguments(ranks: Int, _ arguments: [String], environment: [String: String] = [:], options: [String] = []) -> [String] {
        ["--oversubscribe", "--bind-to", "none", "-np", "\(ranks)"] + environment.keys.sorted().flatMap { ["-x", $0] } + options
            + [RetortProcess.binary.path] + arguments
    }

    /// What lets mpirun start as root, as CI does.
    static let rootPermission = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]
}
