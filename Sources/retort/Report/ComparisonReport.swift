import Foundation
import RetortDistill
import RetortReport

/// One page comparing training runs (`retort report DIR DIR…`): their curves overlaid, a table of
/// best and final metrics with the differences to the first run, and the gap in best top-1 between
/// a distilled student and the same model trained alone.
struct ComparisonReport {
    /// One compared run.
    struct Run {
        var name: String
        var folder: URL
        var history: [EpochMetrics]
        var settings: [String: Any]
        var record: RunRecord?

        var best: EpochMetrics { history.max { $0.testTop1 < $1.testTop1 }! }
        var model: String { settings["model"].map { "\($0)" } ?? "?" }
        /// Distilled from teachers (not trained on the labels alone, not self-distilled).
        var isDistilled: Bool { !(record?.teachers.isEmpty ?? true) }
        var trainsAlone: Bool { record?.command == "train" && !isDistilled }
        var label: String { "\(name) (\(model)\(isDistilled ? " from " + record!.teachers.map(\.model).joined(separator: ", ") : ""))" }
    }

    var runs: [Run]

    /// Reads the runs of `folders`, named by the shortest distinct tail of their paths.
    init(folders: [URL]) throws {
        let names = Self.names(folders)
        runs = try zip(folders, names).map { folder, name in
            guard TrainingRunReport.describes(folder) else {
                let kind = RunFolderReports.kind(of: folder).map { " (its page: `retort report \(folder.path)`; \($0))" } ?? ""
                throw CLIError.failed("\(folder.path) holds no train, distill or selfdistill run with epochs to compare\(kind); "
                                      + "a comparison page overlays the metrics.jsonl of training runs")
            }
            return Run(name: name, folder: folder, history: try TrainingRunReport.history(in: folder),
                       settings: TrainingRunReport.settings(in: folder), record: RunRecord(in: folder))
        }
    }

    /// The folders' names: their last path component, or more of the path where two share it.
    static func names(_ folders: [URL]) -> [String] {
        let paths = folders.map { $0.standardizedFileURL.pathComponents }
        for depth in 1...max(paths.map(\.count).max() ?? 1, 1) {
            let names = paths.map { $0.suffix(depth).joined(separator: "/") }
            if Set(names).count == names.count { return names }
        }
        return folders.map(\.path)
    }

    /// The deepest folder holding all of `folders` (their common parent): where the page goes by default.
    static func commonParent(_ folders: [URL]) -> URL {
        let parents = folders.map { $0.standardizedFileURL.deletingLastPathComponent().pathComponents }
        var common = parents.first ?? ["/"]
        for path in parents.dropFirst() {
            common = Array(zip(common, path).prefix { $0 == $1 }.map(\.0))
        }
        return URL(fileURLWithPath: common.isEmpty ? "/" : NSString.path(withComponents: common))
    }

    /// The differences in best top-1 the page states: each distilled run against the runs that train
    /// its model alone, and the teacher's lead over them (what distillation could close).
    var gaps: [String] {
        var lines: [String] = []
        for distilled in runs where distilled.isDistilled {
            for alone in runs where alone.trainsAlone && alone.model == distilled.model {
                let gap = (distilled.best.testTop1 - alone.best.testTop1) * 100
                lines.append("\(distilled.name) − \(alone.name): " + String(format: "%+.2f pp", gap) + " best test top-1 ("
                             + "\(distilled.label) \(PageFragment.percent(distilled.best.testTop1)) vs \(alone.label) "
                             + "\(PageFragment.percent(alone.best.testTop1))): distillation "
                             + (gap > 0 ? "helped" : gap < 0 ? "hurt" : "made no difference") + ".")
                for teacher in distilled.record?.teachers ?? [] {
                    let headroom = (teacher.testTop1 - alone.best.testTop1) * 100
                    if headroom > 0 {
                        lines.append("The teacher \(teacher.model) (\(PageFragment.percent(teacher.testTop1))) is "
                                     + String(format: "%.2f pp", headroom) + " above \(alone.name): distillation "
                                     + (gap > 0 ? String(format: "closed %.0f%% of that gap", gap / headroom * 100) : "closed none of it")
                                     + ". A stronger teacher (more epochs, a wider model) or a student that sees fewer "
                                     + "labels leaves more for distillation to give.")
                    } else {
                        lines.append("The teacher \(teacher.model) (\(PageFragment.percent(teacher.testTop1))) is "
                                     + String(format: "%.2f pp", -headroom)
                                     + " below \(alone.name): a teacher weaker than the student alone has little to give; train it "
                                     + "longer or choose a wider one.")
                    }
                }
            }
        }
        if lines.isEmpty, let first = runs.first {
            lines = runs.dropFirst().map {
                "\($0.name) − \(first.name): " + PageFragment.points($0.best.testTop1 - first.best.testTop1)
                    + " best test top-1."
            }
        }
        return lines
    }

    /// The page.
    var page: HTMLReport {
        let color = { (index: Int) in SVG.color(index) }
        let overlay = { (title: String, label: String, value: (EpochMetrics) -> Double?) in
            TrainingRunReport.chart(title, label, runs.enumerated().compactMap { index, run in
                let series = TrainingRunReport.series(run.name, run.history, color: color(index), value: value)
                return series.points.isEmpty ? nil : series
            })
        }
        var charts = [overlay("Test top-1", "top-1 (%)") { $0.testTop1 * 100 }, overlay("Test loss", "loss") { $0.testLoss }]
        if runs.contains(where: { run in run.history.contains { $0.agreement != nil } }) {
            charts.append(overlay("Agreement with the teacher", "top-1 agreement (%)") { $0.agreement.map { $0 * 100 } })
        }
        let first = runs[0]
        let difference = { (value: Double, base: Double, index: Int) in
            index == 0 ? "" : PageFragment.points(value - base)
        }
        let rows = runs.enumerated().map { index, run in
            let last = run.history.last!
            return [run.name, run.record?.command ?? "", run.model, run.record?.teachers.map(\.model).joined(separator: ", ") ?? "",
                    String(run.history.count), PageFragment.percent(run.best.testTop1) + " (\(run.best.epoch))",
                    difference(run.best.testTop1, first.best.testTop1, index), PageFragment.percent(last.testTop1),
                    difference(last.testTop1, first.history.last!.testTop1, index), String(format: "%.4f", last.testLoss),
                    last.testCalibrationError.map { String(format: "%.4f", $0) } ?? "",
                    PageFragment.percent(last.agreement),
                    String(format: "%.0f", run.history.map(\.seconds).reduce(0, +))]
        }
        let table = HTMLReport.table(header: ["run", "command", "model", "teachers", "epochs", "best top-1 (epoch)",
                                              "Δ best vs \(first.name)", "final top-1", "Δ final vs \(first.name)", "final test loss",
                                              "final ECE", "final agreement", "seconds"], rows: rows)
        let pages = HTMLReport.paragraph("Each run's own page: " + runs.map { "\($0.folder.path)/report.html" }.joined(separator: ", "),
                                         note: true)
        let sections = [
            ReportSection(title: "Gap", body: gaps.map { HTMLReport.paragraph($0) }.joined(separator: "\n")),
            ReportSection(title: "Curves", body: HTMLReport.figures(charts)),
            ReportSection(title: "Best and final metrics", body: table + "\n" + pages),
        ]
        return HTMLReport(title: "Comparison of \(runs.count) runs", subtitle: runs.map(\.label).joined(separator: " · "),
                          sections: sections)
    }
}
