import Foundation
import RetortDistill
import RetortReport

/// The page of a `retort prune` folder (`pruning.json`): test top-1 and mean predictive entropy
/// against the sparsity of the pruned weights (right after each pruning and after its fine-tuning,
/// both from the dense teacher), the final masks' sparsity per layer as bars, and the stage table.
enum PruneRunReport: RunFolderReport {
    static func describes(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("pruning.json").path)
    }

    /// One measured state of the model, as `pruning.json` records it.
    struct Stage {
        var name: String
        var top1: Double
        /// The sparsity of the weights the method prunes (Conv2d, or Conv2d and Linear).
        var sparsity: Double
        var entropy: Double
        var loss: Double?
    }

    static func sections(of folder: URL) throws -> [ReportSection] {
        let url = folder.appendingPathComponent("pruning.json")
        guard let object = (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any],
              let records = object["stages"] as? [[String: Any]] else {
            throw CLIError.failed("cannot read \(url.path) for the report: not the JSON object `retort prune` writes; run the prune again")
        }
        let linear = object["layers"] as? String == PrunableLayers.convolutionsAndLinear.rawValue
        let sparsityKey = linear ? "sparsity-conv-linear" : "sparsity-conv"
        let stages = records.compactMap { record -> Stage? in
            guard let name = record["stage"] as? String, let top1 = record["test-top1"] as? Double,
                  let sparsity = record[sparsityKey] as? Double, let entropy = record["predictive-entropy"] as? Double else { return nil }
            return Stage(name: name, top1: top1, sparsity: sparsity, entropy: entropy, loss: record["test-loss"] as? Double)
        }
        let weights = linear ? "Conv2d and Linear weights" : "Conv2d weights"
        var sections = [ReportSection(title: "Accuracy and entropy vs sparsity",
                                      body: HTMLReport.figures(curves(stages, weights: weights).map(\.svg)) + HTMLReport.paragraph(
                                        summary(stages, model: object["model"] as? String ?? "the model",
                                                method: object["method"] as? String ?? "pruning")))]
        let final = shares(object["masks"])
        // With several prunings (iterative rounds), the first round's masks beside the final ones.
        let rounds = records.filter { $0["masks"] != nil }.map { ($0["stage"] as? String ?? "", shares($0["masks"])) }
        if !final.isEmpty {
            var series = [(name: "final", values: final.map(\.fraction))]
            if rounds.count > 1, let first = rounds.first {
                let fractions = Dictionary(first.1.map { ($0.name, $0.fraction) }, uniquingKeysWith: { $1 })
                series.insert((first.0, final.map { fractions[$0.name] ?? .nan }), at: 0)
            }
            sections.append(ReportSection(title: "Sparsity per layer", body: layerBars(labels: final.map(\.name), series: series).svg))
        }
        sections.append(ReportSection(title: "Stages", body: table(stages, weights: weights)))
        return sections
    }

    /// Test top-1 and predictive entropy (percent sparsity on x): the model right after each
    /// pruning and after each fine-tuning, both lines starting at the dense model.
    static func curves(_ stages: [Stage], weights: String) -> [SVGLinePlot] {
        let dense = stages.filter { $0.name == "dense" }
        let pruned = dense + stages.filter { $0.name.hasSuffix("pruned") }
        let tuned = dense + stages.filter { $0.name.hasSuffix("fine-tuned") }
        func series(_ value: (Stage) -> Double) -> [SVGLinePlot.Series] {
            [.init(name: "after pruning", points: pruned.map { ($0.sparsity * 100, value($0)) }, color: SVG.color(1), dashed: true),
             .init(name: "after fine-tuning", points: tuned.map { ($0.sparsity * 100, value($0)) }, color: SVG.color(0))]
        }
        let x = "sparsity of the \(weights) (%)"
        return [SVGLinePlot(title: "Test top-1 vs sparsity", xLabel: x, yLabel: "test top-1 (%)", series: series { $0.top1 * 100 }),
                SVGLinePlot(title: "Predictive entropy vs sparsity", xLabel: x, yLabel: "mean predictive entropy (nats)",
                            series: series(\.entropy))]
    }

    /// Each pruned tensor's share of zeros, from the `masks` list of `pruning.json`.
    static func shares(_ masks: Any?) -> [(name: String, fraction: Double)] {
        (masks as? [[String: Any]] ?? []).compactMap { mask in
            guard let name = mask["name"] as? String, let pruned = mask["pruned"] as? Int, let total = mask["total"] as? Int,
                  total > 0 else { return nil }
            return (name, Double(pruned) / Double(total))
        }
    }

    /// The masks' pruned share per weight tensor, in percent: a bar per tensor and series.
    static func layerBars(labels: [String], series: [(name: String, values: [Double])]) -> SVGBarChart {
        SVGBarChart(title: "Masks: pruned share per weight tensor", valueLabel: "pruned (%)", labels: labels,
                    series: series.enumerated().map { .init(name: $1.name, values: $1.values.map { $0 * 100 }, color: SVG.color($0)) },
                    valueRange: 0...100, valueFormat: "%.1f%%")
    }

    static func summary(_ stages: [Stage], model: String, method: String) -> String {
        guard let dense = stages.first(where: { $0.name == "dense" }), let final = stages.last, final.name != "dense" else {
            return "The prune has not measured a pruned model yet."
        }
        return "\(model), \(method): \(PageFragment.percent(dense.top1)) dense, \(PageFragment.percent(final.top1)) at "
            + String(format: "%.1f%% sparsity (%@); predictive entropy %.4f → %.4f nats.", final.sparsity * 100,
                     PageFragment.points(final.top1 - dense.top1), dense.entropy, final.entropy)
    }

    static func table(_ stages: [Stage], weights: String) -> String {
        HTMLReport.table(header: ["stage", "test top-1", "sparsity (\(weights))", "predictive entropy", "test loss"], rows: stages.map {
            [$0.name, PageFragment.percent($0.top1), String(format: "%.2f%%", $0.sparsity * 100), String(format: "%.4f", $0.entropy),
             PageFragment.number($0.loss)]
        })
    }
}
