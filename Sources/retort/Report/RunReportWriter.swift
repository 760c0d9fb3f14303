import Foundation
import RetortReport

/// Writes a run folder's page, `report.html`, from the files the run wrote: after every epoch and at
/// the end of a training job, at the end of `online`, `chain`, `sweep-teachers` and `prune`, and for
/// `retort report DIR…`.
enum RunReportWriter {
    static let fileName = "report.html"

    /// The page of `folder`, drawn by the first kind in ``RunFolderReports/all`` that describes it.
    /// Throws `CLIError.failed` when no kind does (the folder holds no run, or one not yet written).
    static func page(of folder: URL) throws -> HTMLReport {
        guard let kind = RunFolderReports.kind(of: folder) else {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder)
            throw CLIError.failed(exists && isFolder.boolValue
                ? "\(folder.path) holds no run that a report can show (no metrics.jsonl, chain.json, sweep.json or pruning.json); "
                    + "give the folder a training command wrote (its --out DIR), after its first epoch"
                : "\(folder.path) is not a folder; give a run folder (the --out DIR of a training command)")
        }
        let title = folder.standardizedFileURL.lastPathComponent
        return HTMLReport(title: "\(title): run report", subtitle: kind.subtitle(of: folder) ?? folder.path,
                          sections: try kind.sections(of: folder))
    }

    /// Writes `folder/report.html` atomically and returns its URL.
    @discardableResult
    static func write(folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(fileName)
        try page(of: folder).write(to: url)
        return url
    }

    /// ``write(folder:)`` for a command that is training or has trained: a failure (a full disk, an
    /// unreadable file) is printed as a warning naming the cause, and the command goes on. A folder
    /// no kind of report describes (yet) is left without a page. Returns whether the page was written.
    @discardableResult
    static func writeOrWarn(folder: URL) -> Bool {
        guard RunFolderReports.kind(of: folder) != nil else { return false }
        do {
            try write(folder: folder)
            return true
        } catch {
            Console.say("warning: could not write \(folder.appendingPathComponent(fileName).path): \(error); training goes on, "
                        + "and `retort report \(folder.path)` writes the page later")
            return false
        }
    }
}
