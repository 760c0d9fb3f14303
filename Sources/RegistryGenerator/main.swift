import Foundation

// RegistryGenerator --output FILE SOURCE.swift…: writes the `Registrations` of the sources (see
// RegistryScanner); the file is rewritten only when its text changes.
var arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2, arguments[0] == "--output" else {
    FileHandle.standardError.write(Data("usage: RegistryGenerator --output FILE SOURCE.swift…\n".utf8))
    exit(2)
}
let output = URL(fileURLWithPath: arguments[1])
arguments.removeFirst(2)
do {
    let sources = try arguments.map { try String(contentsOf: URL(fileURLWithPath: $0), encoding: .utf8) }
    let text = RegistryScanner(sources: sources).swift
    if (try? String(contentsOf: output, encoding: .utf8)) != text {
        try text.write(to: output, atomically: true, encoding: .utf8)
    }
} catch {
    FileHandle.standardError.write(Data("RegistryGenerator: \(error)\n".utf8))
    exit(1)
}
