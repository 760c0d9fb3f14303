import Foundation

/// Output of the training commands.
enum Console {
    /// Writes a line straight to stdout, so it stays in order with the progress line.
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    /// Discards this process's standard output from now on (data-parallel ranks other than 0, so
    /// the job prints one progress line); standard error still shows.
    static func silence() {
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return }
        dup2(null, STDOUT_FILENO)
        close(null)
    }
}
