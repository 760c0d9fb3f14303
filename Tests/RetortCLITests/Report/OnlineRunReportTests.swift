import Foundation
import RetortReport
import XCTest
@testable import retort
@testable import RetortDistill

/// The online report on a tiny real SwitOKD run: every network's curves, the mode strip matching
/// `modes.csv` step by step, and the table.
final class OnlineRunReportTests: XCTestCase {
    func testSwitOKDShowsEveryNetworkAndItsModeTimeline() throws {
        let out = reportTestFolder("online")
        let run = try RetortProcess.run(["online", "--models", "plane4,plane2", "--method", "switokd", "--out", out.path, "--dataset",
                                         "fashion-mnist",
                                         "--limit", "256", "--batch-size", "64", "--epochs", "2", "--lr", "0.01", "--seed", "1"])
        XCTAssertEqual(run.status, 0, run.output + run.errors)
        XCTAssertEqual(RunFolderReports.all.first { $0.describes(out) }.map(ObjectIdentifier.init), ObjectIdentifier(OnlineRunReport.self))

        let history = OnlineRunReport.history(out)
        XCTAssertEqual(history.count, 2)
        let sections = try OnlineRunReport.sections(of: out)
        XCTAssertEqual(sections.map(\.title), ["Learning curves", "Switch modes", "Networks"])
        guard sections.count == 3 else { return }
        let parsed = try sections.map { try ReportSectionXML($0) }
        // Four charts, a line per network with a point per epoch, in the run's order.
        XCTAssertEqual(parsed[0].elements("svg").count, 4)
        XCTAssertEqual(parsed[0].polylinePoints, Array(repeating: 2, count: 7), "two networks share one agreement line")
        let curves = OnlineRunReport.curves(history, names: ["plane4", "plane2"], frozen: [:])
        XCTAssertEqual(curves[0].series.map(\.name), ["plane4", "plane2"])
        XCTAssertEqual(curves[0].series[1].points.map(\.y), history.map { $0.networks["plane2"]!.testTop1 * 100 })

        // The strip: one switch, its modes step by step as modes.csv has them, 4 steps per epoch.
        let rows = try String(contentsOf: out.appendingPathComponent("modes.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { String($0.split(separator: ",")[2]) }
        XCTAssertEqual(rows.count, 8)
        let timeline = try XCTUnwrap(try OnlineRunReport.modeTimeline(out, names: ["plane4", "plane2"]))
        XCTAssertEqual(timeline.tracks.map(\.name), ["plane4→plane2"])
        XCTAssertEqual(timeline.tracks[0].modes, rows)
        XCTAssertEqual(timeline.epochStarts, [5])
        let switches = zip(rows, rows.dropFirst()).filter { $0 != $1 }.count
        XCTAssertEqual(switches, history.map { $0.counters["switches"] ?? 0 }.reduce(0, +), "the strip counts the switches the run counted")
        let expert = rows.filter { $0 == "expert" }.count
        XCTAssert(parsed[1].texts.contains("\(switches) switch\(switches == 1 ? "" : "es"); \(expert) expert, \(8 - expert) learning"),
                  parsed[1].texts.joined(separator: " | "))
        let colors = ["#ff7f0e", "#1f77b4"]
        XCTAssertEqual(parsed[1].elements("rect").filter { colors.contains(ReportSectionXML.value($0, "fill") ?? "") }.count,
                       timeline.tracks[0].runs.count + 2, "a rectangle per run of equal modes, and the legend's two")
        XCTAssertEqual(parsed[2].tableRows.map(\.first), ["plane4", "plane2"])
        XCTAssertEqual(parsed[2].tableRows[1][1], String(format: "%.2f%%", history[1].networks["plane2"]!.testTop1 * 100))
    }

    /// SOKD's folder: the auxiliary branch listed under its teacher's place, the frozen teacher as
    /// reference lines at its measured top-1 and loss, and no mode strip without `modes.csv`.
    func testFrozenTeacherIsAReferenceLineAndTheBranchKeepsItsPlace() throws {
        let folder = reportTestFolder("sokd")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try RunFolder.writeSettings(["models": ["plane4", "plane2"], "method": "sokd"], to: folder)
        func metrics(_ epoch: Int, _ top1: Double) -> EpochMetrics {
            EpochMetrics(epoch: epoch, learningRate: 0.1, trainLoss: 1, trainAccuracy: 0.5, testLoss: 2 - top1, testTop1: top1,
                         testTop5: 0.9, seconds: 1, imagesPerSecond: 10, testCalibrationError: 0.1, agreement: 0.8, predictiveKL: 0.2)
        }
        let history = [OnlineEpochMetrics(epoch: 1, seconds: 1, networks: ["plane2": metrics(1, 0.5), "plane4-aux": metrics(1, 0.6)],
                                          updates: ["plane2": 4, "plane4-aux": 4]),
                       OnlineEpochMetrics(epoch: 2, seconds: 1, networks: ["plane2": metrics(2, 0.7), "plane4-aux": metrics(2, 0.75)],
                                          updates: ["plane2": 4, "plane4-aux": 4])]
        let lines = try history.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }.joined(separator: "\n")
        try (lines + "\n").write(to: folder.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        try #"{"plane4": {"test_loss": 0.4, "test_top1": 0.8, "test_top5": 0.99, "test_ece": 0.05}}"#
            .write(to: folder.appendingPathComponent("frozen.json"), atomically: true, encoding: .utf8)

        XCTAssertEqual(OnlineRunReport.networkNames(folder, history: history), ["plane4-aux", "plane2"])
        let sections = try OnlineRunReport.sections(of: folder)
        XCTAssertEqual(sections.map(\.title), ["Learning curves", "Networks"])
        let curves = OnlineRunReport.curves(history, names: ["plane4-aux", "plane2"],
                                            frozen: ["plane4": FrozenNetworkMetrics(testLoss: 0.4, testTop1: 0.8, testTop5: 0.99,
                                                                                    testCalibrationError: 0.05)])
        XCTAssertEqual(curves[0].references.map(\.y), [80])
        XCTAssertEqual(curves[0].series[0].points.map(\.y), [60, 75])
        XCTAssertGreaterThanOrEqual(curves[0].axes.y.upperBound, 80, "the axis reaches the frozen teacher")
        XCTAssertEqual(curves[1].references.map(\.y), [0.4])
        let table = try ReportSectionXML(sections[1]).tableRows
        XCTAssertEqual(table.map(\.first), ["plane4-aux", "plane2", "plane4 (frozen)"])
        XCTAssertEqual(table[2][1], "80.00%")
    }
}
