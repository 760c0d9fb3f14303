import Foundation

/// `retort report DIR…`: (re)writes the report page of run folders; given several, also one page
/// comparing them.
enum ReportCommand: RegisteredCommand {
    static let name = "report"
    static let order = 94
    static let takesPositionals = true
    static let summary = "(re)write run folders' report.html; several folders: also a page comparing them"
    static let usage = """
        DIR [DIR…] [--out FILE.html]   one folder: writes DIR/report.html; several: each folder's page and a comparison page
          (curves overlaid, best and final metrics with differences to the first DIR) in --out, by default the
          folders' common parent's report.html (`retort report runs/demo/*` → runs/demo/report.html; a report.html
          among the words is skipped)
        """
    static let spec = Arguments.Spec(options: ["out"])

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try launch.requireSingleProcess(name)
        let folders = try runFolders(arguments.positionals)
        if folders.count == 1, arguments.options["out"] != nil {
            throw CLIError.usage("--out names the comparison page of several folders; give two or more DIRs")
        }
        // Every page is drawn before any is written: a folder without a run writes nothing.
        let pages = try folders.map { ($0, try RunReportWriter.page(of: $0)) }
        let comparison = folders.count > 1 ? try ComparisonReport(folders: folders) : nil
        for (folder, page) in pages {
            let url = folder.appendingPathComponent(RunReportWriter.fileName)
            try page.write(to: url)
            print("wrote \(url.path)")
        }
        guard let comparison else { return }
        let out = arguments.options["out"].map { URL(fileURLWithPath: $0) }
            ?? ComparisonReport.commonParent(folders).appendingPathComponent(RunReportWriter.fileName)
        if folders.contains(where: { $0.appendingPathComponent(RunReportWriter.fileName).standardizedFileURL == out.standardizedFileURL }) {
            throw CLIError.usage("--out \(out.path) is a run folder's own page; choose another file for the comparison")
        }
        try comparison.page.write(to: out)
        print("wrote \(out.path)")
        for gap in comparison.gaps { print(gap) }
    }

    /// The folders named on the command line, in order; a `report.html` among them (a shell pattern
    /// such as `runs/demo/*` matches the comparison page written before) is skipped.
    static func runFolders(_ words: [String]) throws(CLIError) -> [URL] {
        guard !words.isEmpty else { throw .usage("report needs one or more run folders: retort report DIR [DIR…]") }
        var folders: [URL] = []
        for word in words {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: word, isDirectory: &isFolder)
            if exists, !isFolder.boolValue, URL(fileURLWithPath: word).lastPathComponent == RunReportWriter.fileName { continue }
            guard exists, isFolder.boolValue else {
                throw .failed("\(word) is \(exists ? "a file, not a folder" : "missing"); give run folders (the --out DIR of a "
                              + "training command)")
            }
            folders.append(URL(fileURLWithPath: word))
        }
        guard !folders.isEmpty else { throw .usage("report needs one or more run folders besides report.html files") }
        return folders
    }
}
