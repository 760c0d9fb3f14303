import Foundation

/// The bytes of a dataset file, read front to back in pieces so a reader can check a header before
/// it reads (or decompresses) what the header describes. gzip data (detected by its `1f 8b`
/// signature, whatever the file is called) is decompressed on the fly; a raw file is mapped, not
/// copied, until its bytes are asked for.
struct FileBytes {
    /// The file's last path component: what error messages name.
    let name: String
    private let stored: Data
    private var position = 0
    private let inflater: GzipInflater?

    /// The file at `path`.
    init(contentsOf path: String) throws(DataError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missingFile(path: path) }
        let name = Self.displayName(path)
        guard !isDirectory.boolValue else { throw .unreadable(file: name, reason: "is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw .unreadable(file: name, reason: "cannot be read (\(error.localizedDescription))")
        }
        try self.init(data, name: name)
    }

    /// The bytes of a file called `name`, already in memory.
    init(_ data: Data, name: String) throws(DataError) {
        self.name = name
        stored = data
        let isGzip = data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
        inflater = isGzip ? try GzipInflater(data, name: name) : nil
    }

    /// Whether the file is gzip-compressed.
    var isCompressed: Bool { inflater != nil }

    /// The size of the file as stored (compressed, for gzip).
    var storedByteCount: Int { stored.count }

    /// The bytes that remain: exactly, for a raw file; an upper bound (deflate's largest ratio),
    /// for a gzip file. A header that describes more cannot be right.
    var maximumRemainingBytes: Int { inflater?.maximumRemainingBytes ?? stored.count - position }

    /// The next `count` bytes, or fewer at the end of the file.
    mutating func read(upTo count: Int) throws(DataError) -> [UInt8] {
        if let inflater { return try inflater.read(upTo: count) }
        let end = position + min(count, stored.count - position)
        defer { position = end }
        return [UInt8](stored[(stored.startIndex + position)..<(stored.startIndex + end)])
    }

    /// Reads to the end without keeping the bytes; returns how many there were.
    mutating func skipRemaining() throws(DataError) -> Int {
        if let inflater { return try inflater.skipRemaining() }
        defer { position = stored.count }
        return stored.count - position
    }

    /// The last path component: what error messages name.
    static func displayName(_ path: String) -> String {
        (path as NSString).lastPathComponent
    }
}
