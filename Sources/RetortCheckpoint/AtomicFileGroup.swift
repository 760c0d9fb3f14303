import Foundation

/// Replaces several files in one folder as one: after a crash at any moment (kill -9, power loss),
/// ``recover()`` leaves either all of them old or all of them new — never a checkpoint's weights
/// from one step beside optimizer state from another.
///
/// ``replace(_:)`` writes each new file to a staged name beside its target (`.<name>.staged`,
/// flushed to disk), then commits by writing a journal (`.replacing.json`) atomically, renames the
/// staged files over their targets and removes the journal. ``recover()`` finishes a committed
/// replacement (the journal exists: every staged file is complete) and drops an uncommitted one
/// (staged files without a journal), along with temporary files of interrupted atomic writes.
/// One writer per folder at a time.
public struct AtomicFileGroup: Sendable {
    /// The folder whose files are replaced.
    public let directory: URL

    /// Why a replacement or a recovery failed, naming the file.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var file: String
        public var reason: String
        public var description: String { "cannot write \(file): \(reason)" }
    }

    public init(directory: URL) {
        self.directory = directory
    }

    var journalURL: URL { directory.appendingPathComponent(".replacing.json") }

    static func stagedURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).staged")
    }

    /// Writes `files` (each a target in ``directory`` and its new contents) so that a crash leaves
    /// all of them old or all new once ``recover()`` has run. Finishes an earlier interrupted
    /// replacement first.
    public func replace(_ files: [(contents: Data, url: URL)]) throws(Failure) {
        try recover()
        var staged: [URL] = []
        do {
            for (contents, url) in files {
                try write(contents, to: Self.stagedURL(for: url), naming: url)
                staged.append(Self.stagedURL(for: url))
            }
        } catch {
            // Not committed: the targets stay as they were, and no staged file is left behind.
            for url in staged { unlink(url.path) }
            throw error
        }
        let pairs = files.map { [Self.stagedURL(for: $0.url).lastPathComponent, $0.url.lastPathComponent] }
        let journal = (try? JSONSerialization.data(withJSONObject: pairs)) ?? Data()
        try write(journal, to: journalURL, naming: journalURL)  // the commit point
        try finish(pairs)
    }

    /// Completes or drops an interrupted ``replace(_:)``: with a journal, renames every staged file
    /// still there over its target; then removes the journal, staged files and temporary files of
    /// interrupted writes. Call it before reading the files after a possible crash.
    public func recover() throws(Failure) {
        if let data = try? Data(contentsOf: journalURL) {
            guard let pairs = (try? JSONSerialization.jsonObject(with: data)) as? [[String]], pairs.allSatisfy({ $0.count == 2 }) else {
                throw Failure(file: journalURL.path, reason: "the journal of an interrupted write is unreadable; remove it and resume")
            }
            try finish(pairs)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".") && (name.hasSuffix(".staged") || name.hasSuffix(".tmp")) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// Renames each staged file that is still there over its target, then removes the journal.
    private func finish(_ pairs: [[String]]) throws(Failure) {
        for pair in pairs {
            let staged = directory.appendingPathComponent(pair[0]).path, target = directory.appendingPathComponent(pair[1]).path
            guard FileManager.default.fileExists(atPath: staged) else { continue }  // renamed before the crash
            guard rename(staged, target) == 0 else {
                throw Failure(file: target, reason: String(cString: strerror(errno)))
            }
        }
        guard unlink(journalURL.path) == 0 || errno == ENOENT else {
            throw Failure(file: journalURL.path, reason: String(cString: strerror(errno)))
        }
    }

    /// Writes `data` to `url` atomically; a failure names `target`, the file the user knows.
    private func write(_ data: Data, to url: URL, naming target: URL) throws(Failure) {
        do {
            try AtomicFile.write(data, to: url)
        } catch {
            throw Failure(file: target.path, reason: error.reason)
        }
    }
}
