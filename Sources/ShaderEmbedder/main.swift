// Build tool: compiles GLSL compute shaders with glslc and writes one Swift file that embeds each
// module as a base64 string literal (large [UInt32] literals make the Swift type checker crawl).
//
// usage: ShaderEmbedder --output <file.swift> --shaders <dir> --work <dir>
// Compiles every <dir>/*.comp (with <dir> as the include path).
import Foundation

struct EmbedderError: Error, CustomStringConvertible {
    let description: String
}

func findGLSLC() throws -> String {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["GLSLC"], FileManager.default.isExecutableFile(atPath: explicit) {
        return explicit
    }
    let path = (environment["PATH"] ?? "") + ":/usr/bin:/usr/local/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/glslc"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw EmbedderError(description: "error: glslc not found. Install it with `apt-get install glslc` (or run `make deps`), or set GLSLC=/path/to/glslc.")
}

/// Runs glslc on one shader; glslc's own `file:line: error:` messages go to stderr unchanged.
func compile(_ source: String, include: String, into spv: String, glslc: String) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: glslc)
    // vulkan1.2 keeps `local_size_x_id` as a WorkgroupSize builtin (vulkan1.3 emits LocalSizeId,
    // which needs the maintenance4 feature on every device we run on).
    process.arguments = ["-O", "--target-env=vulkan1.2", "-I", include, "-o", spv, source]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw EmbedderError(description: "error: glslc failed on \(source) (exit \(process.terminationStatus)); see the messages above.")
    }
    return try Data(contentsOf: URL(fileURLWithPath: spv))
}

func run() throws {
    var output: String?
    var include: String?
    var work: String?
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let argument = arguments.next() {
        switch argument {
        case "--output": output = arguments.next()
        case "--shaders": include = arguments.next()
        case "--work": work = arguments.next()
        default: throw EmbedderError(description: "error: unexpected argument \(argument)")
        }
    }
    guard let output, let include, let work else {
        throw EmbedderError(description: "usage: ShaderEmbedder --output <file.swift> --shaders <dir> --work <dir>")
    }
    let sources = try FileManager.default.contentsOfDirectory(atPath: include)
        .filter { $0.hasSuffix(".comp") }.sorted().map { "\(include)/\($0)" }
    let glslc = try findGLSLC()
    var entries: [(String, String)] = []
    var failures: [String] = []
    for source in sources {
        let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let spv = "\(work)/\(name).spv"
        do {
            let data = try compile(source, include: include, into: spv, glslc: glslc)
            entries.append((name, data.base64EncodedString()))
        } catch {
            failures.append("\(error)")
        }
    }
    guard failures.isEmpty else {
        throw EmbedderError(description: failures.joined(separator: "\n"))
    }
    var text = "// Generated at build time from Shaders/*.comp by ShaderEmbedder. Do not edit.\n\n"
    text += "extension ShaderLibrary {\n"
    text += "    /// SPIR-V modules by shader name, base64-encoded.\n"
    text += "    static let embedded: [String: String] = [\n"
    for (name, base64) in entries {
        text += "        \"\(name)\": \"\(base64)\",\n"
    }
    text += "    ]\n}\n"
    try text.write(toFile: output, atomically: true, encoding: .utf8)
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
