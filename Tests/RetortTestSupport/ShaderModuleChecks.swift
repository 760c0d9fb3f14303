import Foundation
import RetortCompute
import XCTest

/// Checks shared by the tests of each target that embeds shaders: which `.comp` files a shader folder
/// holds, and whether every embedded module is valid SPIR-V.
public enum ShaderModuleChecks {
    /// The stems of the `.comp` files in `directory`, sorted.
    public static func stems(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".comp") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Asserts that every module of `S` starts with the SPIR-V magic number and that `spirv-val`
    /// (Vulkan 1.2 rules) accepts it; throws if `spirv-val` is missing.
    public static func assertEveryModulePassesSpirvVal<S: EmbeddedShader>(_ shaders: S.Type, file: StaticString = #filePath,
                                                                          line: UInt = #line) throws {
        let validator = ["/usr/bin/spirv-val", "/usr/local/bin/spirv-val"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let path = try XCTUnwrap(validator, "spirv-val is missing: install spirv-tools (make deps)", file: file, line: line)
        let directory = FileManager.default.temporaryDirectory.appending(path: "retort-spirv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for shader in S.allCases.sorted(by: { $0.name < $1.name }) {
            let (name, words) = (shader.name, try shader.spirv())
            XCTAssertEqual(words.first, 0x0723_0203, "\(name) does not start with the SPIR-V magic number", file: file, line: line)
            let module = directory.appending(path: "\(name).spv")
            try words.withUnsafeBytes { try Data($0).write(to: module) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["--target-env", "vulkan1.2", module.path]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = errors
            try process.run()
            process.waitUntilExit()
            let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(process.terminationStatus, 0, "spirv-val rejects \(name): \(output)", file: file, line: line)
        }
    }
}
