import Foundation
import RetortDistill
import RetortReport

/// The page of a `retort chain` folder (`chain.json`): the stages as a diagram (parameters and test
/// top-1 per model, the student's agreement with its teacher and the accuracy gained or lost per
/// hop), the chain's student beside the one distilled directly from the teacher, every stage's
/// learning curves on shared axes, and the chain table.
enum ChainRunReport: RunFolderReport {
    static func describes(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("chain.json").path)
    }

    static func sections(of folder: URL) throws -> [ReportSection] {
        let report = try PageFragment.decode(ChainReport.self, from: folder.appendingPathComponent("chain.json"))
        var sections = [ReportSection(title: "Stages", body: diagram(report).svg + HTMLReport.paragraph(stagesText(report)))]
        if let comparison = directComparison(report) { sections.append(ReportSection(title: "Chain vs direct", body: comparison)) }
        let curves = learningCurves(report, in: folder)
        if !curves.isEmpty { sections.append(ReportSection(title: "Learning curves", body: HTMLReport.figures(curves.map(\.svg)))) }
        sections.append(ReportSection(title: "Stage table", body: table(report)))
        return sections
    }

    /// A box per stage (the chain in a row, the direct student under it) and an arrow per hop
    /// labelled with the student's agreement with its teacher and its top-1 minus the teacher's.
    static func diagram(_ report: ChainReport) -> SVGStageDiagram {
        let rows = report.stages + (report.direct.map { [$0] } ?? [])
        let stages = rows.enumerated().map { index, row in
            let isDirect = index == report.stages.count
            return SVGStageDiagram.Stage(name: isDirect ? "\(row.model) (direct)" : row.model,
                                         lines: ["\(row.parameters.formatted(.number)) parameters",
                                                 "top-1 \(PageFragment.percent(row.bestTop1))" + (row.evaluated ? " (given)" : "")],
                                         column: isDirect ? report.stages.count - 1 : index, row: isDirect ? 1 : 0)
        }
        let hops = rows.indices.dropFirst().map { index in
            let teacher = index == report.stages.count ? 0 : index - 1
            let gain = rows[index].bestTop1 - rows[teacher].bestTop1
            return SVGStageDiagram.Hop(from: teacher, to: index,
                                       lines: ["agreement \(PageFragment.percent(rows[index].agreement))",
                                               "top-1 \(PageFragment.points(gain))"],
                                       color: gain >= 0 ? SVG.color(2) : SVG.color(1))
        }
        return SVGStageDiagram(title: "Teacher-assistant chain: " + report.models.joined(separator: " → "), stages: stages, hops: hops)
    }

    static func stagesText(_ report: ChainReport) -> String {
        var text = "Each model learns from the previous stage's best checkpoint; the numbers are those of each stage's best epoch "
            + "(agreement: the share of test images on which the student predicts its teacher's class)."
        if report.stages.count < report.models.count || report.interrupted {
            text += " The chain is not finished: \(report.stages.count) of \(report.models.count) stages so far."
        }
        return text
    }

    /// The chain's student beside the directly distilled one, and by how much it ends above or below it.
    static func directComparison(_ report: ChainReport) -> String? {
        guard let direct = report.direct else { return nil }
        var rows = [["directly from \(report.models[0])", direct.model, PageFragment.percent(direct.bestTop1),
                     PageFragment.percent(direct.agreement), direct.bestEpoch.map(String.init) ?? "—"]]
        guard let student = report.stages.last, let difference = report.chainMinusDirect else {
            return HTMLReport.table(header: ["route", "student", "best top-1", "agreement", "best epoch"], rows: rows)
                + HTMLReport.paragraph("The chain's student has not finished yet.")
        }
        rows.insert(["through " + report.models.dropLast().joined(separator: " → "), student.model, PageFragment.percent(student.bestTop1),
                     PageFragment.percent(student.agreement), student.bestEpoch.map(String.init) ?? "—"], at: 0)
        let side = difference > 0 ? "above" : difference < 0 ? "below" : "level with"
        let amount = difference == 0 ? "" : String(format: "%.2f pp ", abs(difference) * 100)
        return HTMLReport.table(header: ["route", "student", "best top-1", "agreement", "best epoch"], rows: rows)
            + HTMLReport.paragraph("The chain's student ends \(amount)\(side) the directly distilled one "
                                     + "(\(PageFragment.percent(student.bestTop1)) vs \(PageFragment.percent(direct.bestTop1))).")
    }

    /// Test top-1 and test loss per epoch of every stage that trained (its `metrics.jsonl`), the
    /// direct student dashed; a teacher only evaluated is a reference line.
    static func learningCurves(_ report: ChainReport, in folder: URL) -> [SVGLinePlot] {
        var top1: [SVGLinePlot.Series] = [], loss: [SVGLinePlot.Series] = [], references: [SVGLinePlot.ReferenceLine] = []
        let rows = report.stages + (report.direct.map { [$0] } ?? [])
        for (index, row) in rows.enumerated() {
            let color = SVG.color(index), dashed = index == report.stages.count
            let history = PageFragment.lines(of: folder.appendingPathComponent(row.stage).appendingPathComponent("metrics.jsonl"),
                                             as: EpochMetrics.self)
            if history.isEmpty {
                if row.evaluated { references.append(.init(name: "\(row.model) (given)", y: row.bestTop1 * 100, color: color)) }
                continue
            }
            top1.append(.init(name: row.stage, points: history.map { (Double($0.epoch), $0.testTop1 * 100) }, color: color, dashed: dashed))
            loss.append(.init(name: row.stage, points: history.map { (Double($0.epoch), $0.testLoss) }, color: color, dashed: dashed))
        }
        guard !top1.isEmpty else { return [] }
        return [SVGLinePlot(title: "Test top-1 per stage", xLabel: "epoch", yLabel: "test top-1 (%)", series: top1, references: references),
                SVGLinePlot(title: "Test loss per stage", xLabel: "epoch", yLabel: "test loss (NLL)", series: loss)]
    }

    static func table(_ report: ChainReport) -> String {
        let rows = (report.stages + (report.direct.map { [$0] } ?? [])).map { row in
            [row.stage, row.model, row.teacher ?? (row.evaluated ? "— (given)" : "labels (CE)"), row.parameters.formatted(.number),
             PageFragment.percent(row.bestTop1), row.bestEpoch.map(String.init) ?? "—", PageFragment.percent(row.agreement),
             PageFragment.number(row.predictiveKL), PageFragment.number(row.calibrationError), String(format: "%.1f", row.seconds)]
        }
        return HTMLReport.table(header: ["stage", "model", "teacher", "parameters", "best top-1", "best epoch", "agreement", "pred. KL",
                                           "ECE", "wall s"], rows: rows)
    }
}
