import Foundation

/// The first images of the installed Fashion-MNIST as uncompressed IDX files in a folder of their
/// own (`--dataset fashion-mnist --data-dir FOLDER`): the same images and labels as `--limit count`
/// on the full set, but a process reads them at once instead of inflating all 70,000 images first
/// (about 10 s per process in a debug build), which matters for tests that start many processes.
enum FashionMNISTSubset {
    /// The installed dataset (the `dataset-fashion-mnist` package).
    static let source = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// Writes the first `count` training and `count` test images (fewer where a split has fewer)
    /// and their labels into `folder`.
    static func write(count: Int, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for split in ["train", "t10k"] {
            // IDX: a 4-byte magic, a big-endian count, then (images) rows and columns, then one byte per pixel or label.
            for (kind, header, itemSize) in [("images-idx3-ubyte", 16, 28 * 28), ("labels-idx1-ubyte", 8, 1)] {
                let name = "\(split)-\(kind)"
                let bytes = try inflated(source.appending(path: name + ".gz"))
                let total = bytes.prefix(8).suffix(4).reduce(0) { $0 << 8 | Int($1) }
                let kept = min(count, total)
                var subset = Data(bytes.prefix(header))
                subset.replaceSubrange(4..<8, with: (0..<4).map { UInt8(truncatingIfNeeded: kept >> (24 - 8 * $0)) })
                subset += bytes[header..<header + kept * itemSize]
                try subset.write(to: folder.appending(path: name))
            }
        }
    }

    /// The contents of a gzip file (`gzip -dc`).
    private static func inflated(_ file: URL) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: file.path]) }
        return data
    }
}
