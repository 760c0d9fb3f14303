import Foundation
import RetortDistill
import RetortReport

/// The page of a `train`, `distill` or `selfdistill` run (and of each stage of `chain`,
/// `sweep-teachers` and `prune`): any folder whose `metrics.jsonl` holds ``EpochMetrics``. It shows
/// the learning curves with the teachers' accuracy as reference lines, the fidelity to the teachers,
/// the best checkpoint's reliability diagram and confusion matrix (`best-test.json`), and the
/// resolved settings with the device (`config.json`, `run.json`). It evaluates nothing.
enum TrainingRunReport: RunFolderReport {
    static func describes(_ folder: URL) -> Bool { !((try? history(in: folder)) ?? []).isEmpty }

    /// The epochs of `folder/metrics.jsonl`.
    static func history(in folder: URL) throws -> [EpochMetrics] {
        let url = folder.appendingPathComponent("metrics.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { line in
            do {
                return try decoder.decode(EpochMetrics.self, from: Data(line.utf8))
            } catch {
                throw CLIError.failed("\(url.path) holds a line that is not an epoch's metrics: \(line.prefix(80))")
            }
        }
    }

    /// The run's `config.json`; empty when it is missing or unreadable.
    static func settings(in folder: URL) -> [String: Any] {
        (try? RunFolder.readSettings(folder.appendingPathComponent("config.json"))) ?? [:]
    }

    static func subtitle(of folder: URL) -> String? {
        let settings = settings(in: folder), record = RunRecord(in: folder)
        var parts: [String] = []
        if let command = record?.command { parts.append("retort \(command)") }
        if let model = settings["model"], let dataset = settings["dataset"] { parts.append("\(model) on \(dataset)") }
        if let teachers = record?.teachers, !teachers.isEmpty { parts.append("from " + teachers.map(\.model).joined(separator: ", ")) }
        if let epochs = settings["epochs"] { parts.append("\(epochs) epochs") }
        if let seed = settings["seed"] { parts.append("seed \(seed)") }
        if let device = record?.device { parts.append(device) }
        return (parts + [folder.path]).joined(separator: " · ")
    }

    static func sections(of folder: URL) throws -> [ReportSection] {
        let history = try history(in: folder)
        guard !history.isEmpty else { throw CLIError.failed("\(folder.path)/metrics.jsonl holds no finished epoch yet") }
        let settings = settings(in: folder), record = RunRecord(in: folder)
        let detailsURL = Trainer.bestTestURL(in: folder)
        let details = FileManager.default.fileExists(atPath: detailsURL.path) ? try TestSplitDetails(contentsOf: detailsURL) : nil
        var sections = [summary(history, settings: settings, record: record, folder: folder), learningCurves(history, record: record)]
        if history.contains(where: { $0.agreement != nil }) { sections.append(fidelity(history)) }
        if let details {
            let names = (settings["dataset"] as? String).flatMap { try? DatasetKind(name: $0) }?.classNames
                ?? RunFolder.classNames(in: folder)
            sections += [calibration(details), classes(details, names: names ?? [])]
        }
        sections.append(configuration(settings, record: record))
        return sections
    }

    /// One curve of a run: `value` of each epoch (left out where nil), drawn over the epoch.
    static func series(_ name: String, _ history: [EpochMetrics], color: String, dashed: Bool = false,
                       value: (EpochMetrics) -> Double?) -> SVGLinePlot.Series {
        .init(name: name, points: history.compactMap { metrics in value(metrics).map { (Double(metrics.epoch), $0) } },
              color: color, dashed: dashed)
    }

    /// A chart over the epochs, sized for two side by side.
    static func chart(_ title: String, _ yLabel: String, _ series: [SVGLinePlot.Series],
                      references: [SVGLinePlot.ReferenceLine] = []) -> String {
        SVGLinePlot(title: title, xLabel: "epoch", yLabel: yLabel, series: series, references: references, width: 520, height: 360).svg
    }

    private static let percent = PageFragment.percent

    /// Where the run stands, its best epoch, and the teachers' accuracy for comparison.
    static func summary(_ history: [EpochMetrics], settings: [String: Any], record: RunRecord?, folder: URL) -> ReportSection {
        let best = history.max { $0.testTop1 < $1.testTop1 }!, last = history.last!
        let epochs = settings["epochs"].flatMap { Int("\($0)") }
        var lines = ["Best test top-1 \(percent(best.testTop1)) after epoch \(best.epoch)\(epochs.map { " of \($0)" } ?? ""); "
                     + "at the last epoch \(percent(last.testTop1)), test loss " + String(format: "%.4f", last.testLoss)
                     + (last.testCalibrationError.map { String(format: ", ECE %.4f", $0) } ?? "") + "."]
        for teacher in record?.teachers ?? [] {
            let gap = (best.testTop1 - teacher.testTop1) * 100
            lines.append("Teacher \(teacher.model) (\(teacher.weights)): \(percent(teacher.testTop1)) test top-1 on the same test "
                         + "split; the student's best is " + String(format: "%.2f pp %@ it.", abs(gap), gap >= 0 ? "above" : "below"))
        }
        if let agreement = last.agreement, let divergence = last.predictiveKL {
            lines.append("At the last epoch the student agrees with the teacher\((record?.teachers.count ?? 1) > 1 ? "s" : "") on "
                         + "\(percent(agreement)) of the test images (predictive KL " + String(format: "%.4f", divergence) + ").")
        }
        if let epochs, last.epoch < epochs {
            let command = record?.command ?? "train"
            lines.append("\(last.epoch) of \(epochs) epochs are done: the run is training or was stopped; "
                         + "`retort \(command) --resume \(folder.path)` continues it.")
        }
        return ReportSection(title: "Summary", body: lines.map { HTMLReport.paragraph($0) }.joined(separator: "\n"))
    }

    /// Loss, top-1 (with the teachers as reference lines) and learning rate per epoch, and the table.
    static func learningCurves(_ history: [EpochMetrics], record: RunRecord?) -> ReportSection {
        let references = (record?.teachers ?? []).enumerated().map { index, teacher in
            SVGLinePlot.ReferenceLine(name: "teacher \(teacher.model)", y: teacher.testTop1 * 100, color: SVG.color(index + 2))
        }
        let charts = [
            chart("Loss", "loss", [series("train", history, color: SVG.color(0)) { $0.trainLoss },
                                   series("test", history, color: SVG.color(1)) { $0.testLoss }]),
            chart("Top-1 accuracy", "top-1 (%)", [series("train", history, color: SVG.color(0)) { $0.trainAccuracy * 100 },
                                                  series("test", history, color: SVG.color(1)) { $0.testTop1 * 100 }],
                  references: references),
            chart("Learning rate", "learning rate", [series("learning rate", history, color: SVG.color(4)) { $0.learningRate }]),
        ]
        let optional = { (value: Double?, format: String) in value.map { String(format: format, $0) } ?? "" }
        let rows = history.map { m in
            [String(m.epoch), String(format: "%.4g", m.learningRate), String(format: "%.4f", m.trainLoss), percent(m.trainAccuracy),
             String(format: "%.4f", m.testLoss), percent(m.testTop1), percent(m.testTop5), optional(m.testCalibrationError, "%.4f"),
             optional(m.agreement.map { $0 * 100 }, "%.2f%%"), optional(m.predictiveKL, "%.4f"), String(format: "%.1f", m.seconds)]
        }
        let table = HTMLReport.table(header: ["epoch", "lr", "train loss", "train acc", "test loss", "test top-1", "test top-5", "ECE",
                                              "agreement", "predictive KL", "seconds"], rows: rows)
        return ReportSection(title: "Learning curves", body: HTMLReport.figures(charts) + "\n" + table)
    }

    /// Agreement with the teachers and predictive KL(teacher ‖ student) per epoch.
    static func fidelity(_ history: [EpochMetrics]) -> ReportSection {
        let charts = [chart("Agreement with the teacher", "top-1 agreement (%)",
                            [series("agreement", history, color: SVG.color(2)) { $0.agreement.map { $0 * 100 } }]),
                      chart("Predictive KL(teacher ‖ student)", "KL (nats)",
                            [series("predictive KL", history, color: SVG.color(3)) { $0.predictiveKL }])]
        let note = HTMLReport.paragraph("On the test split at T = 1: how often the student's top class is the teacher's, and how far "
                                        + "its predictive distribution is from the teacher's.", note: true)
        return ReportSection(title: "Fidelity to the teacher", body: HTMLReport.figures(charts) + "\n" + note)
    }

    /// The best checkpoint's reliability diagram.
    static func calibration(_ details: TestSplitDetails) -> ReportSection {
        let bins = details.reliability
        let diagram = SVGReliabilityDiagram(title: "Best checkpoint, epoch \(details.epoch)", counts: bins.count, accuracy: bins.accuracy,
                                            meanConfidence: bins.meanConfidence, expectedCalibrationError: bins.expectedCalibrationError)
        let total = Double(max(bins.count.reduce(0, +), 1))
        let confidence = bins.confidenceSum.reduce(0, +) / total
        let accuracy = Double(bins.correct.reduce(0, +)) / total
        let text = "Expected calibration error " + String(format: "%.4f", bins.expectedCalibrationError) + " over \(bins.count.count) "
            + "confidence bins: the mean confidence is \(percent(confidence)) and the accuracy \(percent(accuracy)), so the model is "
            + (confidence > accuracy ? "over" : "under") + "confident by " + String(format: "%.2f pp", abs(confidence - accuracy) * 100)
            + " on average. Bars below the diagonal are bins where the model is overconfident."
        return ReportSection(title: "Calibration of the best checkpoint",
                             body: HTMLReport.figures([diagram.svg]) + "\n" + HTMLReport.paragraph(text))
    }

    /// The best checkpoint's confusion matrix with the per-class accuracy.
    static func classes(_ details: TestSplitDetails, names: [String]) -> ReportSection {
        let confusion = details.confusion
        let matrix = SVGConfusionMatrix(title: "Confusion on the test split, epoch \(details.epoch)", labels: names,
                                        counts: confusion.counts, perClassAccuracy: confusion.perClassAccuracy)
        let accuracies = confusion.perClassAccuracy.enumerated().compactMap { index, value in value.map { (index, $0) } }
        var body = HTMLReport.figures([matrix.svg])
        if let worst = accuracies.min(by: { $0.1 < $1.1 }), let best = accuracies.max(by: { $0.1 < $1.1 }) {
            let row = confusion.counts[worst.0]
            let confused = row.indices.filter { $0 != worst.0 }.max { row[$0] < row[$1] }
            let name = { (index: Int) in names.indices.contains(index) ? names[index] : "class \(index)" }
            body += "\n" + HTMLReport.paragraph("Hardest class: \(name(worst.0)) (\(percent(worst.1)))"
                + (confused.map { ", most often taken for \(name($0)) (\(row[$0]) images)" } ?? "")
                + "; easiest: \(name(best.0)) (\(percent(best.1))). Rows are the true classes, shaded by the share of the class's "
                + "images in each predicted column.")
        }
        return ReportSection(title: "Per-class accuracy and confusion matrix", body: body)
    }

    /// The resolved settings, the device and the teachers.
    static func configuration(_ settings: [String: Any], record: RunRecord?) -> ReportSection {
        var rows = settings.keys.sorted().map { [$0, text(settings[$0]!)] }
        if let record {
            rows.insert(contentsOf: [["command", record.command], ["device", record.device]]
                        + (record.ranks > 1 ? [["ranks", String(record.ranks)]] : []), at: 0)
        }
        var body = HTMLReport.table(header: ["setting", "value"], rows: rows)
        if let teachers = record?.teachers, !teachers.isEmpty {
            body += "\n" + HTMLReport.table(header: ["teacher", "weights", "test top-1"],
                                            rows: teachers.map { [$0.model, $0.weights, percent($0.testTop1)] })
        }
        return ReportSection(title: "Configuration", body: body)
    }

    /// A JSON value as text: arrays joined by commas, objects as JSON.
    static func text(_ value: Any) -> String {
        switch value {
        case let array as [Any]: return array.map(text).joined(separator: ", ")
        case let object as [String: Any]:
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        default: return "\(value)"
        }
    }
}
