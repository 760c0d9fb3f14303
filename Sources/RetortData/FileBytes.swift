import CZlib
import Foundation

/// Reads a whole dataset file into memory, transparently decompressing gzip (detected by its
/// `1f 8b` signature, whatever the file is called).
enum FileBytes {
    static func read(_ path: String) throws -> [UInt8] {
        let name = displayName(path)
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.missingFile(path: path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unreadable(file: name, reason: "cannot be read")
        }
        if data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b {
            return try gunzip(path, name: name)
        }
        return [UInt8](data)
    }

    /// The last path component: what error messages name.
    static func displayName(_ path: String) -> String {
        (path as NSString).lastPathComponent
    }

    private static func gunzip(_ path: String, name: String) throws -> [UInt8] {
        guard let file = gzopen(path, "rb") else {
            throw DataError.unreadable(file: name, reason: "cannot be opened")
        }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 17)
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if count <= 0 { break }
            result.append(contentsOf: chunk[0..<Int(count)])
        }
        var errorNumber: Int32 = 0
        let message = gzerror(file, &errorNumber).map { String(cString: $0) } ?? ""
        if errorNumber != Z_OK {
            let what = errorNumber == Z_BUF_ERROR ? "truncated gzip stream" : "corrupt gzip data"
            throw DataError.unreadable(file: name, reason: "\(what) (\(message))")
        }
        return result
    }
}
