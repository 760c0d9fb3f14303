// Build tool: compiles GLSL compute shaders with glslc and writes one Swift file that embeds each
// module as a base64 string literal (large [UInt32] literals make the Swift type checker crawl).
//
// usage: ShaderEmbedder --output <file.swift> --shaders <dir> --work <dir> [--enum <Name>] [--import <Module>]
// Compiles every <dir>/*.comp (with <dir> as the include path) and writes `public enum <Name>` (default
// `Shader`): one case per shader, named after the file stem in lowerCamelCase, conforming to
// `EmbeddedShader`. `--import` adds an import (needed outside the module that declares `EmbeddedShader`).
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
func compile(_ source: String, include: String, into spv: String, glslc: String, defines: [String] = []) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: glslc)
    // vulkan1.2 keeps `local_size_x_id` as a WorkgroupSize builtin (vulkan1.3 emits LocalSizeId,
    // which needs the maintenance4 feature on every device we run on).
    process.arguments = ["-O", "--target-env=vulkan1.2", "-I", include] + defines.map { "-D\($0)" } + ["-o", spv, source]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw EmbedderError(description: "error: glslc failed on \(source) (exit \(process.terminationStatus)); see the messages above.")
    }
    return try Data(contentsOf: URL(fileURLWithPath: spv))
}

/// The 16-bit precisions a shader is also compiled for, from its `// precisions: fp16 bf16` line: each
/// becomes one more module, `<name>@fp16`, compiled with `-DPRECISION_FP16` (see `precision.glsl`).
func precisions(of source: String) -> [String] {
    guard let text = try? String(contentsOfFile: source, encoding: .utf8) else { return [] }
    for line in text.split(separator: "\n") where line.hasPrefix("// precisions:") {
        return line.dropFirst("// precisions:".count).split(separator: " ").map(String.init)
    }
    return []
}

/// `matmul_tiled` → `matmulTiled`.
func caseName(_ stem: String) -> String {
    let words = stem.split(separator: "_")
    guard let first = words.first else { return stem }
    let name = String(first) + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    return name.first?.isNumber == true ? "_" + name : name
}

/// The first sentence of the shader's leading comment (after `#version`), as a one-line summary;
/// nil if it has none.
func summary(of source: String) -> String? {
    guard let text = try? String(contentsOfFile: source, encoding: .utf8) else { return nil }
    var words: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if words.isEmpty && trimmed.hasPrefix("#") { continue }
        guard trimmed.hasPrefix("//") else { break }
        let comment = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)
        guard !comment.isEmpty else { break }
        words.append(comment)
        if comment.hasSuffix(".") || comment.hasSuffix(":") || sentenceEnd(in: comment) != nil { break }
    }
    let joined = words.joined(separator: " ")
    guard !joined.isEmpty else { return nil }
    if let end = sentenceEnd(in: joined) { return String(joined[..<end]) }
    return joined
}

/// Where the first sentence of `text` ends: after a ". " followed by a capital letter.
func sentenceEnd(in text: String) -> String.Index? {
    var search = text.startIndex
    while let range = text.range(of: ". ", range: search..<text.endIndex) {
        if range.upperBound < text.endIndex, text[range.upperBound].isUppercase { return text.index(after: range.lowerBound) }
        search = range.upperBound
    }
    return nil
}

/// `text` as `///` lines of at most `width` columns, indented by `indent`.
func docComment(_ text: String, indent: String, width: Int = 120) -> String {
    var lines: [String] = [], line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty, indent.count + 4 + line.count + 1 + word.count > width {
            lines.append(line)
            line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
    }
    lines.append(line)
    return lines.map { "\(indent)/// \($0)\n" }.joined()
}

func run() throws {
    var output: String?
    var enumName = "Shader"
    var imports: [String] = []
    var include: String?
    var work: String?
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let argument = arguments.next() {
        switch argument {
        case "--output": output = arguments.next()
        case "--shaders": include = arguments.next()
        case "--work": work = arguments.next()
        case "--enum": enumName = arguments.next() ?? enumName
        case "--import": imports += arguments.next().map { [$0] } ?? []
        default: throw EmbedderError(description: "error: unexpected argument \(argument)")
        }
    }
    guard let output, let include, let work else {
        throw EmbedderError(description: "usage: ShaderEmbedder --output <file.swift> --shaders <dir> --work <dir> [--enum <Name>] [--import <Module>]")
    }
    let sources = try FileManager.default.contentsOfDirectory(atPath: include)
        .filter { $0.hasSuffix(".comp") }.sorted().map { "\(include)/\($0)" }
    let glslc = try findGLSLC()
    var entries: [(name: String, base64: String, summary: String?)] = []
    var variants: [(name: String, base64: String)] = []
    var failures: [String] = []
    for source in sources {
        let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let spv = "\(work)/\(name).spv"
        do {
            let data = try compile(source, include: include, into: spv, glslc: glslc)
            entries.append((name, data.base64EncodedString(), summary(of: source)))
            for precision in precisions(of: source) {
                let variant = try compile(source, include: include, into: "\(work)/\(name)@\(precision).spv", glslc: glslc,
                                          defines: ["PRECISION_\(precision.uppercased())=1"])
                variants.append(("\(name)@\(precision)", variant.base64EncodedString()))
            }
        } catch {
            failures.append("\(error)")
        }
    }
    guard failures.isEmpty else {
        throw EmbedderError(description: failures.joined(separator: "\n"))
    }
    var text = "// Generated at build time from the target's *.comp shaders by ShaderEmbedder. Do not edit.\n\n"
    text += imports.map { "import \($0)\n" }.joined() + (imports.isEmpty ? "" : "\n")
    text += "/// The compute shaders embedded in this module, one case per `.comp` file (raw value: the file stem).\n"
    text += "public enum \(enumName): String, CaseIterable, Sendable {\n"
    for entry in entries {
        text += docComment(entry.summary ?? "`\(entry.name).comp`.", indent: "    ")
        text += "    case \(caseName(entry.name)) = \"\(entry.name)\"\n"
    }
    text += "}\n\n"
    text += "extension \(enumName): EmbeddedShader {\n"
    text += "    /// SPIR-V modules by shader name, base64-encoded.\n"
    text += "    public static let embeddedModules: [String: String] = [\n"
    for entry in entries.map({ ($0.name, $0.base64) }) + variants {
        text += "        \"\(entry.0)\": \"\(entry.1)\",\n"
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
