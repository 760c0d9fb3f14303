import Foundation
import XCTest

/// The Python of the interop virtual environment (`make interop-venv` creates `.build/peers-venv` with
/// onnx, onnxruntime and numpy; `make peers-venv` adds torch and the rest) and the scripts in
/// `Benchmarks/peers/`, found from the built `retort`, which lives under the package's `.build` folder.
enum PeersPython {
    /// The package root: the folder holding the `.build` folder the built `retort` is in.
    static var packageRoot: URL {
        var folder = RetortProcess.binary.deletingLastPathComponent()
        while folder.lastPathComponent != ".build", folder.pathComponents.count > 1 { folder.deleteLastPathComponent() }
        return folder.deletingLastPathComponent()
    }

    /// The venv's interpreter; the test fails (it never skips) when the venv has not been made.
    static func interpreter(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let python = packageRoot.appending(path: ".build/peers-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            XCTFail("\(python.path) is missing: run `make interop-venv` (it installs onnx, onnxruntime and numpy)", file: file, line: line)
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: python.path])
        }
        return python
    }

    /// Runs `Benchmarks/peers/<script>` with `arguments` in the venv.
    static func run(_ script: String, _ arguments: [String]) throws -> RetortProcess.Run {
        let script = packageRoot.appending(path: "Benchmarks/peers/\(script)").path
        return try RetortProcess.run([script] + arguments, executable: try interpreter())
    }
}
