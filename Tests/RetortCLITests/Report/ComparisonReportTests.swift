import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import retort
import RetortReport

/// The comparison page states the gap a distilled student made over the same model trained alone,
/// overlays the runs' curves and tabulates the differences to the first run.
final class ComparisonReportTests: XCTestCase {
    /// runs/demo with a teacher (train plane6), a student alone (train plane2) and a distilled
    /// student (distill plane2 from plane6), in the shell's alphabetical order.
    private func demo() throws -> [URL] {
        let distilled = try RunFolderFixture("distilled", test: self)
        let parent = distilled.folder.deletingLastPathComponent()
        try distilled.writeMetrics(top1: [0.85, 0.8784], agreement: [0.9, 0.93])
        try distilled.writeConfig(model: "plane2", epochs: 2)
        try distilled.writeRecord(command: "distill",
                                  teachers: [.init(model: "plane6", weights: "teacher/best.safetensors", testTop1: 0.9)])
        let student = try RunFolderFixture("student", in: parent, test: self)
        try student.writeMetrics(top1: [0.86, 0.87])
        try student.writeConfig(model: "plane2", epochs: 2)
        try student.writeRecord(command: "train")
        let teacher = try RunFolderFixture("teacher", in: parent, test: self)
        try teacher.writeMetrics(top1: [0.88, 0.9])
        try teacher.writeConfig(model: "plane6", epochs: 2)
        try teacher.writeRecord(command: "train")
        return [distilled.folder, student.folder, teacher.folder]
    }

    func testTheGapOfDistillationOverTheStudentAlone() throws {
        let comparison = try ComparisonReport(folders: try demo())
        XCTAssertEqual(comparison.runs.map(\.name), ["distilled", "student", "teacher"])
        let gaps = comparison.gaps
        XCTAssertEqual(gaps.count, 2, "\(gaps)")
        XCTAssert(gaps[0].hasPrefix("distilled − student: +0.84 pp best test top-1"), gaps[0])
        XCTAssert(gaps[0].contains("distillation helped"), gaps[0])
        XCTAssert(gaps[1].hasPrefix("The teacher plane6 (90.00%) is 3.00 pp above student: distillation closed 28% of that gap"), gaps[1])
    }

    func testCurvesAndTableWithDifferencesToTheFirstRun() throws {
        let page = try ComparisonReport(folders: try demo()).page
        XCTAssertEqual(page.sections.map(\.title), ["Gap", "Curves", "Best and final metrics"])
        let curves = page.sections[1].body
        XCTAssertEqual(curves.components(separatedBy: "<svg ").count - 1, 3, "test top-1, test loss, agreement")
        XCTAssertEqual(curves.components(separatedBy: "<polyline ").count - 1, 3 + 3 + 1,
                       "every run in top-1 and loss; agreement only where measured")
        let table = page.sections[2].body
        XCTAssertEqual(table.components(separatedBy: "<tr>").count - 1, 4)
        for text in ["87.84% (2)", "87.00% (2)", "-0.84 pp", "+2.16 pp", "Δ best vs distilled"] {
            XCTAssert(table.contains(">\(text)</t"), "\(text) in \(table)")
        }
        XCTAssert(XMLParser(data: Data(page.html.utf8)).parse(), "the page is well-formed XML")
    }

    func testNamesAndTheCommonParent() {
        let folders = ["runs/a/x", "runs/b/x", "runs/b/y"].map { URL(fileURLWithPath: "/data/\($0)") }
        XCTAssertEqual(ComparisonReport.names(folders), ["a/x", "b/x", "b/y"])
        XCTAssertEqual(ComparisonReport.commonParent(folders).path, "/data/runs")
        XCTAssertEqual(ComparisonReport.commonParent(Array(folders.suffix(2))).path, "/data/runs/b")
    }

    func testOnlyTrainingRunsAreCompared() throws {
        let folders = try demo()
        let other = folders[0].deletingLastPathComponent().appendingPathComponent("chain")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ComparisonReport(folders: [folders[0], other])) { error in
            XCTAssert("\(error)".contains("\(other.path) holds no train, distill or selfdistill run with epochs to compare"), "\(error)")
        }
    }
}
