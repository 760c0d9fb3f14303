import Foundation
import RetortDistill
import RetortReport

/// The page of a `retort online` folder (`metrics.jsonl` of ``OnlineEpochMetrics``): every
/// network's test top-1, losses and agreement with its peers on shared axes, frozen networks (SOKD's
/// teacher) as reference lines, SwitOKD's expert/learning mode timeline (`modes.csv`), and the table.
enum OnlineRunReport: RunFolderReport {
    static func describes(_ folder: URL) -> Bool { !history(folder).isEmpty }

    static func history(_ folder: URL) -> [OnlineEpochMetrics] {
        PageFragment.lines(of: folder.appendingPathComponent("metrics.jsonl"), as: OnlineEpochMetrics.self)
    }

    static func sections(of folder: URL) throws -> [ReportSection] {
        let history = history(folder)
        let names = networkNames(folder, history: history)
        let frozen = (try? Data(contentsOf: folder.appendingPathComponent("frozen.json")))
            .flatMap { try? JSONDecoder().decode([String: FrozenNetworkMetrics].self, from: $0) } ?? [:]
        let charts = curves(history, names: names, frozen: frozen).map(\.svg)
        var sections = [ReportSection(title: "Learning curves", body: HTMLReport.figures(charts))]
        if let timeline = try modeTimeline(folder, names: names) {
            sections.append(ReportSection(title: "Switch modes", body: timeline.svg + HTMLReport.paragraph(
                "Each strip is a teacher→student switch over the training steps, coloured by its mode at each step "
                + "(expert: the teacher pauses and only the student learns from it; learning: both learn from each other); "
                + "dashed lines mark where an epoch starts.")))
        }
        sections.append(ReportSection(title: "Networks", body: table(history, names: names, frozen: frozen)))
        return sections
    }

    /// The networks in the order the run lists them (`config.json`'s `models`, SOKD's branch as
    /// `<teacher>-aux`), then any other names in the metrics.
    static func networkNames(_ folder: URL, history: [OnlineEpochMetrics]) -> [String] {
        let present = Set(history.flatMap(\.networks.keys))
        let config = (try? RunFolder.readSettings(folder.appendingPathComponent("config.json"))) ?? [:]
        let models = config["models"] as? [String] ?? (config["models"] as? String)?.split(separator: ",").map(String.init) ?? []
        let listed = OnlineNetwork.uniqueNames(models).compactMap { name in [name, name + "-aux"].first(where: present.contains) }
        return listed + present.subtracting(listed).sorted()
    }

    /// Test top-1, test loss, train loss and agreement per epoch, a line per network; frozen
    /// networks' test top-1 and loss as reference lines.
    static func curves(_ history: [OnlineEpochMetrics], names: [String], frozen: [String: FrozenNetworkMetrics]) -> [SVGLinePlot] {
        func series(_ value: (EpochMetrics) -> Double?) -> [SVGLinePlot.Series] {
            names.enumerated().map { index, name in
                .init(name: name, points: history.compactMap { epoch in
                    epoch.networks[name].flatMap(value).map { (Double(epoch.epoch), $0) }
                }, color: SVG.color(index))
            }
        }
        let frozenNames = frozen.keys.sorted()
        func references(_ value: (FrozenNetworkMetrics) -> Double) -> [SVGLinePlot.ReferenceLine] {
            frozenNames.enumerated().map { .init(name: "\($1) (frozen)", y: value(frozen[$1]!), color: SVG.color(names.count + $0)) }
        }
        let agreement = series { $0.agreement.map { $0 * 100 } }
        let pair = SVGLinePlot.Series(name: names.joined(separator: " ↔ "), points: agreement.first?.points ?? [], color: SVG.color(0))
        return [
            SVGLinePlot(title: "Test top-1", xLabel: "epoch", yLabel: "test top-1 (%)", series: series { $0.testTop1 * 100 },
                        references: references { $0.testTop1 * 100 }),
            SVGLinePlot(title: "Test loss", xLabel: "epoch", yLabel: "test loss (NLL)", series: series { $0.testLoss },
                        references: references { $0.testLoss }),
            SVGLinePlot(title: "Train loss (each network's objective)", xLabel: "epoch", yLabel: "train loss",
                        series: series { $0.trainLoss }),
            // Two networks agree with each other alike: one line for the pair.
            SVGLinePlot(title: "Agreement with the peers", xLabel: "epoch", yLabel: "agreement (%)",
                        series: names.count == 2 ? [pair] : agreement),
        ]
    }

    /// SwitOKD's modes per step from `modes.csv` (`epoch,step,<switch> mode,…`): a strip per switch.
    /// Nil when the run has no `modes.csv` (not a switching objective).
    static func modeTimeline(_ folder: URL, names: [String]) throws -> SVGModeTimeline? {
        let url = folder.appendingPathComponent("modes.csv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first, header.count > 2 else {
            throw CLIError.failed("\(url.path) has no header row; it is written by `retort online --method switokd`")
        }
        let rows = lines.dropFirst().filter { $0.count == header.count }
        let columns = header.indices.filter { header[$0] == "mode" || header[$0].hasSuffix(" mode") }
        let tracks = columns.map { column in
            let name = header[column] == "mode" ? names.prefix(2).joined(separator: "→") : String(header[column].dropLast(" mode".count))
            return SVGModeTimeline.Track(name: name, modes: rows.map { $0[column] })
        }
        let epochs = rows.map { $0[0] }
        let starts = epochs.indices.dropFirst().filter { epochs[$0] != epochs[$0 - 1] }.map { $0 + 1 }
        let modes = SwitOKDDecision.Mode.allCases.map(\.rawValue)
        return SVGModeTimeline(title: "SwitOKD modes per step", tracks: tracks,
                               modeColors: modes.enumerated().map { ($1, SVG.color($0 == 0 ? 4 : 0)) }, epochStarts: starts)
    }

    static func table(_ history: [OnlineEpochMetrics], names: [String], frozen: [String: FrozenNetworkMetrics]) -> String {
        guard let last = history.last else { return HTMLReport.paragraph("No epoch has finished yet.") }
        var rows = names.map { name -> [String] in
            let metrics = last.networks[name]
            let best = history.compactMap { $0.networks[name] }.max { $0.testTop1 < $1.testTop1 }
            return [name, PageFragment.percent(metrics?.testTop1), best.map { "\(PageFragment.percent($0.testTop1)) (\($0.epoch))" } ?? "—",
                    PageFragment.number(metrics?.testLoss), PageFragment.number(metrics?.testCalibrationError),
                    PageFragment.percent(metrics?.agreement), PageFragment.number(metrics?.predictiveKL),
                    last.updates[name].map(String.init) ?? "—"]
        }
        rows += frozen.keys.sorted().map { name in
            [name + " (frozen)", PageFragment.percent(frozen[name]!.testTop1), "—", PageFragment.number(frozen[name]!.testLoss),
             PageFragment.number(frozen[name]!.testCalibrationError), "—", "—", "0"]
        }
        var text = HTMLReport.table(header: ["network", "last top-1", "best top-1 (epoch)", "test NLL", "ECE", "agreement", "pred. KL",
                                               "updates (last epoch)"], rows: rows)
        if !last.counters.isEmpty {
            let counters = last.counters.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            text += HTMLReport.paragraph("Last epoch's mode counters: " + counters.joined(separator: ", ") + ".")
        }
        return text
    }
}
