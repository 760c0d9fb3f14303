import Foundation

/// Output of the training commands.
enum Console {
    /// Writes a line straight to stdout, so it stays in order with the progress line.
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
}
