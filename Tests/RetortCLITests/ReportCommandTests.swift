import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// Training writes `report.html` into every run folder; `retort report` rewrites the pages and
/// compares runs; headless Chromium renders the pages without console errors.
final class ReportCommandTests: XCTestCase {
    /// A teacher, a student trained alone and a student distilled from the teacher, one epoch each on
    /// 256 Fashion-MNIST images, under `runs/demo` of a fresh folder (made once for the class).
    private static let demo: Result<URL, Error> = Result {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("retort-report-\(UUID().uuidString)")
        let data = base.appendingPathComponent("data"), runs = base.appendingPathComponent("runs/demo")
        try FashionMNISTSubset.write(count: 256, to: data)
        let common = ["--epochs", "1", "--batch-size", "64", "--data-dir", data.path]
        for arguments in [["train", "--model", "plane2", "--out", runs.appendingPathComponent("teacher").path],
                          ["train", "--model", "plane2", "--seed", "2", "--out", runs.appendingPathComponent("student").path],
                          ["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights",
                           runs.appendingPathComponent("teacher/best.safetensors").path,
                           "--out", runs.appendingPathComponent("distilled").path]] {
            let run = try RetortProcess.run(arguments + common)
            guard run.status == 0, run.output.contains("report page in \(arguments.last!)/report.html") else {
                throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: run.output + run.errors])
            }
        }
        return runs
    }

    private func demo() throws -> URL { try Self.demo.get() }

    override class func tearDown() {
        if case .success(let runs) = demo {
            try? FileManager.default.removeItem(at: runs.deletingLastPathComponent().deletingLastPathComponent())
        }
        super.tearDown()
    }

    func testEveryRunFolderHasItsPageAndRecord() throws {
        let runs = try demo()
        for name in ["teacher", "student", "distilled"] {
            let page = try String(contentsOf: runs.appendingPathComponent("\(name)/report.html"), encoding: .utf8)
            XCTAssert(XMLParser(data: Data(page.utf8)).parse(), "\(name)'s page is well-formed XML")
            XCTAssert(page.contains("<h1>\(name): run report</h1>"))
            XCTAssert(page.contains("Per-class accuracy and confusion matrix") && page.contains(">T-shirt/top</text>"), name)
        }
        let recordFile = runs.appendingPathComponent("distilled/run.json")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: recordFile)) as? [String: Any]
        XCTAssertEqual(record?["command"] as? String, "distill")
        XCTAssert((record?["device"] as? String)?.isEmpty == false)
        let teacher = try XCTUnwrap((record?["teachers"] as? [[String: Any]])?.first)
        // The teacher's recorded accuracy is its best epoch's test top-1: the same model on the same test split.
        let teacherMetrics = try String(contentsOf: runs.appendingPathComponent("teacher/metrics.jsonl"), encoding: .utf8)
        let best = try teacherMetrics.split(separator: "\n").map { line in
            try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["test_top1"] as? Double)
        }.max()
        XCTAssertEqual(teacher["test_top1"] as? Double, best)
        let distilled = try String(contentsOf: runs.appendingPathComponent("distilled/report.html"), encoding: .utf8)
        XCTAssert(distilled.contains("Fidelity to the teacher") && distilled.contains(">teacher plane2</text>"))
    }

    func testSeveralFoldersGiveAComparisonPage() throws {
        let runs = try demo()
        // The shell's `runs/demo/*`, which after a first run also matches the comparison page itself.
        try "old page".write(to: runs.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        let folders = ["distilled", "student", "teacher", "report.html"].map { runs.appendingPathComponent($0).path }
        let run = try RetortProcess.run(["report"] + folders)
        XCTAssertEqual(run.status, 0, run.output + run.errors)
        XCTAssert(run.output.contains("wrote \(runs.appendingPathComponent("report.html").path)"), run.output)
        XCTAssert(run.output.contains("distilled − student: "), "the gap is stated: \(run.output)")
        let page = try String(contentsOf: runs.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssert(XMLParser(data: Data(page.utf8)).parse())
        XCTAssert(page.contains("<h1>Comparison of 3 runs</h1>"), page)
        XCTAssertEqual(page.components(separatedBy: "<polyline ").count - 1, 3 + 3 + 1, "top-1 and loss of each run, agreement of one")

        let out = runs.appendingPathComponent("../pair.html").standardizedFileURL
        let pair = try RetortProcess.run(["report", folders[1], folders[2], "--out", out.path])
        XCTAssertEqual(pair.status, 0, pair.output + pair.errors)
        XCTAssert(try String(contentsOf: out, encoding: .utf8).contains("Comparison of 2 runs"))
    }

    func testFoldersWithoutARunAreRefusedBeforeAnythingIsWritten() throws {
        let runs = try demo()
        let empty = runs.deletingLastPathComponent().appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let page = runs.appendingPathComponent("teacher/report.html")
        try FileManager.default.removeItem(at: page)
        let refused = try RetortProcess.run(["report", runs.appendingPathComponent("teacher").path, empty.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssert(refused.errors.contains("\(empty.path) holds no run that a report can show"), refused.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: page.path), "nothing written")
        XCTAssertEqual(try RetortProcess.run(["report", runs.appendingPathComponent("teacher").path]).status, 0)
        XCTAssert(FileManager.default.fileExists(atPath: page.path))

        let none = try RetortProcess.run(["report"])
        XCTAssertEqual(none.status, 2)
        XCTAssert(none.errors.contains("report needs one or more run folders"), none.errors)
        let missing = try RetortProcess.run(["report", empty.appendingPathComponent("nothing").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssert(missing.errors.contains("is missing; give run folders"), missing.errors)
        let single = try RetortProcess.run(["report", runs.appendingPathComponent("teacher").path,
                                            "--out", empty.appendingPathComponent("x.html").path])
        XCTAssertEqual(single.status, 2)
        XCTAssert(single.errors.contains("--out names the comparison page of several folders"), single.errors)
    }

    /// Headless Chromium (Debian's `chromium`, installed by `make deps`) loads the pages: no console
    /// errors, and the charts are in the rendered document.
    func testChromiumRendersThePagesWithoutErrors() throws {
        let runs = try demo()
        let compared = try RetortProcess.run(["report"] + ["distilled", "student", "teacher"].map { runs.appendingPathComponent($0).path })
        XCTAssertEqual(compared.status, 0, compared.errors)
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        let chromium = path.map { "\($0)/chromium" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let chromium else { return XCTFail("chromium is missing: `make deps` installs it (the Debian package chromium)") }
        for page in [runs.appendingPathComponent("distilled/report.html"), runs.appendingPathComponent("report.html")] {
            let run = try RetortProcess.run(["--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr", "--v=0",
                                             "--dump-dom", page.absoluteString], executable: URL(fileURLWithPath: chromium))
            XCTAssertEqual(run.status, 0, run.errors)
            let console = run.errors.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
            XCTAssert(console.isEmpty, "console messages rendering \(page.path): \(console)")
            XCTAssertGreaterThanOrEqual(run.output.components(separatedBy: "<svg ").count - 1, 3, "the charts are in the rendered page")
            XCTAssert(run.output.contains("</html>"))
        }
    }
}
