import Foundation
import RetortReport
import XCTest
@testable import retort
@testable import RetortDistill

/// The sweep's report on a tiny real sweep: a point per teacher checkpoint at (teacher top-1,
/// student top-1), labelled by the teacher epoch, and the table of the students.
final class SweepRunReportTests: XCTestCase {
    func testEachCheckpointIsAPointAtItsTeacherAndStudentAccuracy() throws {
        let root = reportTestFolder("sweep")
        let data = ["--dataset", "fashion-mnist", "--limit", "256", "--batch-size", "64", "--seed", "1"]
        let teacher = root.appendingPathComponent("teacher").path, out = root.appendingPathComponent("sweep")
        let train = try RetortProcess.run(["train", "--model", "plane4", "--save-every", "1", "--epochs", "2", "--out", teacher] + data)
        XCTAssertEqual(train.status, 0, train.output + train.errors)
        let sweep = try RetortProcess.run(["sweep-teachers", "--run", teacher, "--student", "plane2", "--epochs", "1", "--batch-size", "64",
                                           "--out", out.path])
        XCTAssertEqual(sweep.status, 0, sweep.output + sweep.errors)
        XCTAssertEqual(RunFolderReports.all.first { $0.describes(out) }.map(ObjectIdentifier.init), ObjectIdentifier(SweepRunReport.self))

        let report = try JSONDecoder().decode(SweepReport.self, from: Data(contentsOf: out.appendingPathComponent("sweep.json")))
        XCTAssertEqual(report.rows.count, 2)
        let sections = try SweepRunReport.sections(of: out)
        XCTAssertEqual(sections.map(\.title), ["Teacher vs student accuracy", "Students"])
        guard sections.count == 2, report.rows.count == 2 else { return }
        let parsed = try sections.map { try ReportSectionXML($0) }
        XCTAssertEqual(parsed[0].polylinePoints, [2], "one series, a point per checkpoint")
        // The points sit where the numbers say on the plot's own axes.
        let single = [GridColumn(batchSize: 0, sweep: report)]
        let (plot, labels) = SweepRunReport.teacherVersusStudent(TeacherGridReport(student: "plane2", columns: single,
                                                                                    interrupted: false))
        XCTAssertEqual(labels, [["e1", "e2"]])
        let axes = plot.axes
        let circles = parsed[0].elements("circle").map {
            (Double(ReportSectionXML.value($0, "cx")!)!, Double(ReportSectionXML.value($0, "cy")!)!)
        }
        XCTAssertEqual(circles.count, 2)
        for (circle, row) in zip(circles, report.rows) {
            XCTAssertEqual(circle.0, axes.px(try XCTUnwrap(row.checkpoint.teacherTop1) * 100), accuracy: 0.1)
            XCTAssertEqual(circle.1, axes.py(row.student.bestTop1 * 100), accuracy: 0.1)
        }
        XCTAssert(parsed[0].texts.contains("e1") && parsed[0].texts.contains("e2"), parsed[0].texts.joined(separator: " | "))
        let best = try XCTUnwrap(report.bestStudent)
        XCTAssert(parsed[0].texts.contains { $0.contains("The best student, \(String(format: "%.2f%%", best.student.bestTop1 * 100))") },
                  parsed[0].texts.joined(separator: " | "))
        XCTAssertEqual(parsed[1].tableRows.map { $0[3] }, report.rows.map { String(format: "%.2f%%", $0.student.bestTop1 * 100) })
    }

    /// A grid's `sweep.json` (columns per teacher batch size): a series per batch size and the grid's plot.
    func testAGridHasASeriesPerBatchSizeAndItsEpochPlot() throws {
        let folder = reportTestFolder("grid")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func row(_ epoch: Int, teacher: Double, student: Double) -> SweepRow {
            SweepRow(checkpoint: TeacherCheckpoint(file: "epoch-\(epoch).safetensors", path: "", epoch: epoch, teacherTop1: teacher),
                     student: StageSummary(stage: "from-epoch-\(epoch)", model: "plane2", teacher: "plane4", teacherWeights: nil,
                                           parameters: 10, bestTop1: student, bestEpoch: 1, epochs: 1, agreement: 0.9, predictiveKL: 0.1,
                                           calibrationError: 0.05, seconds: 1, weights: "", reused: false, evaluated: false))
        }
        let grid = TeacherGridReport(student: "plane2", columns: [
            GridColumn(batchSize: 32, sweep: SweepReport(teacher: "plane4", student: "plane2", run: "a",
                                                         rows: [row(1, teacher: 0.70, student: 0.60), row(2, teacher: 0.80, student: 0.66)],
                                                         interrupted: false)),
            GridColumn(batchSize: 128, sweep: SweepReport(teacher: "plane4", student: "plane2", run: "b",
                                                          rows: [row(1, teacher: 0.65, student: 0.62),
                                                                 row(2, teacher: 0.75, student: 0.64)],
                                                          interrupted: false)),
        ], interrupted: false)
        try JSONEncoder().encode(grid).write(to: folder.appendingPathComponent("sweep.json"))
        let sections = try SweepRunReport.sections(of: folder)
        let parsed = try ReportSectionXML(sections[0])
        XCTAssertEqual(parsed.elements("svg").count, 2, "teacher vs student, and top-1 by teacher epoch")
        XCTAssertEqual(parsed.polylinePoints, [2, 2, 2, 2, 2, 2], "a series per batch size; the grid's student and teacher lines")
        XCTAssert(parsed.texts.contains("teacher batch 32") && parsed.texts.contains("teacher batch 128"),
                  parsed.texts.joined(separator: " | "))
        let best = "The best student, 66.00%, learned from epoch-2.safetensors (teacher epoch 2, batch 32"
        XCTAssert(parsed.texts.contains { $0.contains(best) },
                  parsed.texts.joined(separator: " | "))
        XCTAssertEqual(try ReportSectionXML(sections[1]).tableRows.map { $0[0] }, ["32", "32", "128", "128"])
    }
}
