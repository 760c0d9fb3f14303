import Foundation
import RetortReport
import XCTest
@testable import retort

/// The prune report on a tiny real iterative prune: accuracy and entropy at each stage's sparsity,
/// a bar per pruned tensor as long as its mask's pruned share, and the stage table.
final class PruneRunReportTests: XCTestCase {
    func testCurvesAndLayerBarsFollowPruningJSON() throws {
        let root = reportTestFolder("prune")
        let data = ["--dataset", "fashion-mnist", "--limit", "256", "--batch-size", "64", "--seed", "1", "--epochs", "1"]
        let teacher = root.appendingPathComponent("teacher").path, out = root.appendingPathComponent("pruned")
        let train = try RetortProcess.run(["train", "--model", "plane2", "--out", teacher] + data)
        XCTAssertEqual(train.status, 0, train.output + train.errors)
        let prune = try RetortProcess.run(["prune", "--model", "plane2", "--weights", teacher + "/best.safetensors", "--method",
                                           "iterative", "--rounds", "2", "--out", out.path] + data)
        XCTAssertEqual(prune.status, 0, prune.output + prune.errors)
        XCTAssertEqual(RunFolderReports.all.first { $0.describes(out) }.map(ObjectIdentifier.init), ObjectIdentifier(PruneRunReport.self))

        let file = try Data(contentsOf: out.appendingPathComponent("pruning.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: file) as? [String: Any])
        let stages = try XCTUnwrap(json["stages"] as? [[String: Any]])
        let masks = try XCTUnwrap(json["masks"] as? [[String: Any]])
        let sections = try PruneRunReport.sections(of: out)
        XCTAssertEqual(sections.map(\.title), ["Accuracy and entropy vs sparsity", "Sparsity per layer", "Stages"])
        guard sections.count == 3 else { return }
        let parsed = try sections.map { try ReportSectionXML($0) }
        // Dense, then a point per round: after pruning (dashed) and after fine-tuning.
        XCTAssertEqual(parsed[0].polylinePoints, [3, 3, 3, 3])
        let plots = PruneRunReport.curves(stages.map {
            PruneRunReport.Stage(name: $0["stage"] as! String, top1: $0["test-top1"] as! Double,
                                 sparsity: $0["sparsity-conv-linear"] as! Double,
                                 entropy: $0["predictive-entropy"] as! Double)
        }, weights: "w")
        let tuned = stages.filter { ["dense", "round 1: fine-tuned", "round 2: fine-tuned"].contains($0["stage"] as? String) }
        XCTAssertEqual(plots[0].series[1].points.map(\.x), tuned.map { ($0["sparsity-conv-linear"] as! Double) * 100 })
        XCTAssertEqual(plots[1].series[1].points.map(\.y), tuned.map { $0["predictive-entropy"] as! Double })
        // A bar per mask and series (round 1's masks, the final ones), as long as its pruned share on the chart's own axis.
        let roundOne = try XCTUnwrap(stages[1]["masks"] as? [[String: Any]], "each pruning records its masks")
        func share(_ mask: [String: Any]) -> Double { Double(mask["pruned"] as! Int) / Double(mask["total"] as! Int) }
        let chart = PruneRunReport.layerBars(labels: masks.map { $0["name"] as! String },
                                             series: [("round 1: pruned", roundOne.map(share)), ("final", masks.map(share))])
        for (series, values) in [(0, roundOne), (1, masks)] {
            let bars = parsed[1].elements("rect").filter {
                ReportSectionXML.value($0, "fill") == SVG.color(series) && ReportSectionXML.value($0, "width") != "14"
            }
            XCTAssertEqual(bars.count, masks.count)
            for (bar, mask) in zip(bars, values) {
                XCTAssertEqual(Double(ReportSectionXML.value(bar, "width")!)!, chart.axes.px(share(mask) * 100) - chart.axes.px(0),
                               accuracy: 0.1)
                XCTAssert(parsed[1].texts.contains(mask["name"] as! String))
                XCTAssert(parsed[1].texts.contains(String(format: "%.1f%%", share(mask) * 100)))
            }
        }
        XCTAssert(zip(roundOne, masks).allSatisfy { share($0) <= share($1) }, "a pruned weight stays pruned")
        XCTAssertEqual(parsed[2].tableRows.map(\.first), stages.map { $0["stage"] as? String })
    }
}
