import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import retort
import RetortDistill
import RetortReport

/// The page of a training run shows what its files say: the sections that apply, the best epoch,
/// the teacher's accuracy and the gap to it, the calibration and confusion of the best checkpoint
/// with the dataset's class names, and the settings with the device.
final class TrainingRunReportTests: XCTestCase {
    /// A distilled run: 3 epochs, a teacher at 90%, agreement, and a best checkpoint of 4 images.
    private func distilledRun() throws -> RunFolderFixture {
        let run = try RunFolderFixture("distilled", test: self)
        try run.writeMetrics(top1: [0.8, 0.875, 0.85], agreement: [0.7, 0.8, 0.85])
        try run.writeConfig(model: "plane2", epochs: 3)
        try run.writeRecord(command: "distill",
                            teachers: [RunRecord.Teacher(model: "plane6", weights: "t/best.safetensors", testTop1: 0.9)])
        // Four test images of classes 0, 1, 1, 6: the last is taken for a T-shirt/top.
        var logits = [Float](repeating: 0, count: 40)
        for (row, predicted) in [0, 1, 1, 0].enumerated() { logits[row * 10 + predicted] = 5 }
        try run.writeDetails(epoch: 2, logits: logits, labels: [0, 1, 1, 6], classes: 10)
        return run
    }

    func testADistilledRunShowsEverySection() throws {
        let run = try distilledRun()
        XCTAssert(TrainingRunReport.describes(run.folder))
        let sections = try TrainingRunReport.sections(of: run.folder)
        XCTAssertEqual(sections.map(\.title), ["Summary", "Learning curves", "Fidelity to the teacher",
                                               "Calibration of the best checkpoint", "Per-class accuracy and confusion matrix",
                                               "Configuration"])
        let summary = sections[0].body
        XCTAssert(summary.contains("Best test top-1 87.50% after epoch 2 of 3"), summary)
        XCTAssert(summary.contains("Teacher plane6 (t/best.safetensors): 90.00% test top-1"), summary)
        XCTAssert(summary.contains("the student's best is 2.50 pp below it"), summary)
        XCTAssert(summary.contains("agrees with the teacher on 85.00% of the test images"), summary)
        XCTAssertFalse(summary.contains("--resume"), "the run is complete")

        let curves = sections[1].body
        XCTAssertEqual(curves.components(separatedBy: "<svg ").count - 1, 3, "loss, top-1, learning rate")
        XCTAssert(curves.contains(">teacher plane6</text>"), "the teacher's accuracy is a reference line")
        XCTAssertEqual(curves.components(separatedBy: "<tr>").count - 1, 4, "a header and one row per epoch")
        XCTAssert(curves.contains("<td class=\"number\">87.50%</td>") && curves.contains("<td class=\"number\">80.00%</td>"))

        let confusion = sections[4].body
        XCTAssert(confusion.contains(">T-shirt/top</text>") && confusion.contains(">Ankle boot</text>"), "Fashion-MNIST's class names")
        XCTAssert(confusion.contains("Hardest class: Shirt (0.00%), most often taken for T-shirt/top (1 images)"), confusion)
        let calibration = sections[3].body
        XCTAssert(calibration.contains("(ECE "), calibration)
        XCTAssert(calibration.contains(">4 predictions</text>"))

        let settings = sections[5].body
        for row in [["device", "test device"], ["command", "distill"], ["model", "plane2"]] {
            XCTAssert(settings.contains("<tr><td>\(row[0])</td><td>\(row[1])</td></tr>"), "\(row) in \(settings)")
        }
        XCTAssert(settings.contains("<tr><td>epochs</td><td class=\"number\">3</td></tr>"), settings)
        XCTAssert(settings.contains("<tr><td>plane6</td><td>t/best.safetensors</td><td class=\"number\">90.00%</td></tr>"), settings)
        let page = try RunReportWriter.page(of: run.folder)
        XCTAssertEqual(page.title, "distilled: run report")
        XCTAssert(page.subtitle.hasPrefix("retort distill · plane2 on fashion-mnist · from plane6 · 3 epochs · seed 1 · test device"),
                  page.subtitle)
        XCTAssert(XMLParser(data: Data(page.html.utf8)).parse(), "the page is well-formed XML")
    }

    func testARunAloneInProgressShowsWhatItHas() throws {
        let run = try RunFolderFixture("student", test: self)
        try run.writeMetrics(top1: [0.6, 0.7])
        try run.writeConfig(model: "plane2", dataset: "cifar100", epochs: 5)
        let sections = try TrainingRunReport.sections(of: run.folder)
        XCTAssertEqual(sections.map(\.title), ["Summary", "Learning curves", "Configuration"], "no teacher, no best-test.json")
        let summary = sections[0].body
        XCTAssert(summary.contains("2 of 5 epochs are done"), summary)
        XCTAssert(summary.contains("`retort train --resume \(run.folder.path)` continues it"), summary)
        XCTAssertFalse(sections[1].body.contains(">teacher"))
    }

    func testFoldersWithoutEpochsAreNotTrainingRuns() throws {
        let empty = try RunFolderFixture("empty", test: self)
        XCTAssertFalse(TrainingRunReport.describes(empty.folder))
        let online = try RunFolderFixture("online", test: self)
        let line = #"{"counters":{},"epoch":1,"networks":{},"seconds":1,"updates":{}}"#
        try line.write(to: online.folder.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertFalse(TrainingRunReport.describes(online.folder), "an online run's metrics are not one network's epochs")
        XCTAssertThrowsError(try RunReportWriter.write(folder: empty.folder)) { error in
            XCTAssert("\(error)".contains("holds no run that a report can show"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: empty.folder.appendingPathComponent("report.html").path))
        XCTAssertThrowsError(try RunReportWriter.write(folder: empty.folder.appendingPathComponent("missing"))) { error in
            XCTAssert("\(error)".contains("is not a folder"), "\(error)")
        }
    }
}
