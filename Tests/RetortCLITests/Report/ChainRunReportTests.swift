import Foundation
import RetortReport
import XCTest
@testable import retort
import RetortDistill

/// The chain's report on a tiny real chain: the diagram, the comparison and the curves say what
/// `chain.json` and the stages' metrics say.
final class ChainRunReportTests: XCTestCase {
    func testSectionsShowEveryStageTheHopsAndTheDirectComparison() throws {
        let out = reportTestFolder("chain")
        let run = try RetortProcess.run(["chain", "--models", "plane4,plane2", "--compare-direct", "--out", out.path, "--dataset",
                                         "fashion-mnist", "--limit", "256", "--batch-size", "64", "--seed", "1", "--epochs", "1"])
        XCTAssertEqual(run.status, 0, run.output + run.errors)
        XCTAssert(ChainRunReport.describes(out))
        XCTAssertEqual(RunFolderReports.all.first { $0.describes(out) }.map(ObjectIdentifier.init), ObjectIdentifier(ChainRunReport.self))
        XCTAssertFalse(ChainRunReport.describes(out.appendingPathComponent("1-plane2")), "a stage is a run of its own")

        let chain = try JSONDecoder().decode(ChainReport.self, from: Data(contentsOf: out.appendingPathComponent("chain.json")))
        let sections = try ChainRunReport.sections(of: out)
        XCTAssertEqual(sections.map(\.title), ["Stages", "Chain vs direct", "Learning curves", "Stage table"])
        guard sections.count == 4, chain.stages.count == 2 else { return }
        let parsed = try sections.map { try ReportSectionXML($0) }

        // The diagram: a box per model with its parameters and top-1, a hop per teacher → student
        // with the student's agreement and its top-1 minus its teacher's.
        let teacher = chain.stages[0], student = chain.stages[1], direct = try XCTUnwrap(chain.direct)
        let diagram = parsed[0]
        XCTAssertEqual(diagram.elements("rect").filter { ReportSectionXML.value($0, "rx") != nil }.count, 3)
        for row in [teacher, student, direct] {
            XCTAssert(diagram.texts.contains(String(format: "top-1 %.2f%%", row.bestTop1 * 100)), "\(row.stage): \(diagram.texts)")
            XCTAssert(diagram.texts.contains("\(row.parameters.formatted(.number)) parameters"), diagram.texts.joined(separator: " | "))
        }
        for row in [student, direct] {
            XCTAssert(diagram.texts.contains(String(format: "agreement %.2f%%", try XCTUnwrap(row.agreement) * 100)),
                      diagram.texts.joined(separator: " | "))
            XCTAssert(diagram.texts.contains(String(format: "top-1 %+.2f pp", (row.bestTop1 - teacher.bestTop1) * 100)),
                      diagram.texts.joined(separator: " | "))
        }
        XCTAssertEqual(diagram.elements("polyline").count, 2)

        // The comparison: both students and the sentence with the chain's difference.
        let difference = try XCTUnwrap(chain.chainMinusDirect)
        let side = difference > 0 ? "above" : difference < 0 ? "below" : "level with"
        let sentence = parsed[1].texts.first { $0.hasPrefix("The chain's student ends") } ?? ""
        XCTAssert(sentence.contains(side) && (difference == 0 || sentence.contains(String(format: "%.2f pp", abs(difference) * 100))),
                  sentence)
        XCTAssertEqual(parsed[1].tableRows.map { $0[2] }, [student, direct].map { String(format: "%.2f%%", $0.bestTop1 * 100) })

        // The curves: test top-1 and loss per stage, a point per epoch (one here); the direct student dashed.
        XCTAssertEqual(parsed[2].polylinePoints, [1, 1, 1, 1, 1, 1])
        XCTAssertEqual(parsed[2].elements("polyline").filter { ReportSectionXML.value($0, "stroke-dasharray") != nil }.count, 2)
        XCTAssertEqual(parsed[3].tableRows.map(\.first), ["0-plane4", "1-plane2", "direct-plane2"])
    }
}
