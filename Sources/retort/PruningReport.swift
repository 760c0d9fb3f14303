import Foundation
import RetortCheckpoint
import RetortDistill

/// What `retort prune` reports: each stage's test top-1, sparsity and mean predictive entropy, as a
/// table on stdout, `pruning.md` and `pruning.json` in the output folder.
struct PruningReport {
    /// One measured state of the model.
    struct Stage {
        /// `dense`, `pruned`, `fine-tuned`, `round 2: pruned`, ….
        var name: String
        var top1: Double
        var testLoss: Double
        /// Measured zeros (not mask counts) among the Conv2d weights, the Conv2d and Linear weights,
        /// and all parameters.
        var convolutionSparsity: Double
        var weightSparsity: Double
        var parameterSparsity: Double
        /// Mean predictive entropy on the test split (nats, T = 1).
        var entropy: Double
        /// The fine-tuning run folder, for fine-tuned stages.
        var run: String?
        /// Each pruned tensor's mask right after a pruning (for the report's per-layer bars).
        var masks: [LayerSparsity]?

        /// Per tensor: its name, pruned and total weights.
        static func json(_ layers: [LayerSparsity]) -> [[String: Any]] {
            layers.map { ["name": $0.name, "pruned": $0.pruned, "total": $0.total] as [String: Any] }
        }

        var json: [String: Any] {
            var object: [String: Any] = ["stage": name, "test-top1": top1, "test-loss": testLoss, "sparsity-conv": convolutionSparsity,
                                         "sparsity-conv-linear": weightSparsity, "sparsity-all-parameters": parameterSparsity,
                                         "predictive-entropy": entropy]
            if let run { object["run"] = run }
            if let masks { object["masks"] = Self.json(masks) }
            return object
        }
    }

    var model: String
    var method: String
    var denseWeights: String
    var layers: PrunableLayers
    var stages: [Stage] = []
    /// The final masks' per-layer sparsity.
    var finalLayers: [LayerSparsity] = []
    /// PrUE's objective `Σ_i |p̄[y_i] − p_i[y_i]|` over the scoring pass, when PrUE scored.
    var prueObjective: Double?

    /// Measures `model` on `test`.
    static func measure(_ name: String, _ model: any Classifier, on test: DataLoader, run: URL? = nil) throws -> Stage {
        let evaluation = try Evaluation.run(model, on: test, keepLogits: true)
        let classes = evaluation.labels.isEmpty ? 0 : evaluation.logits.count / evaluation.labels.count
        return Stage(name: name, top1: evaluation.top1, testLoss: evaluation.loss,
                     convolutionSparsity: try model.measuredSparsity(.convolutions).fraction,
                     weightSparsity: try model.measuredSparsity(.convolutionsAndLinear).fraction,
                     parameterSparsity: try model.measuredSparsity(nil).fraction,
                     entropy: meanPredictiveEntropy(logits: evaluation.logits, classes: classes), run: run?.path)
    }

    static let header = "| stage | test top-1 | sparsity (Conv2d) | sparsity (Conv2d + Linear) | sparsity (all parameters) | predictive entropy |"

    static func row(_ stage: Stage) -> String {
        String(format: "| %@ | %.2f%% | %.2f%% | %.2f%% | %.2f%% | %.4f |", stage.name, stage.top1 * 100, stage.convolutionSparsity * 100,
               stage.weightSparsity * 100, stage.parameterSparsity * 100, stage.entropy)
    }

    var table: String {
        ([Self.header, "|---|---|---|---|---|---|"] + stages.map(Self.row)).joined(separator: "\n")
    }

    var markdown: String {
        var text = "# Pruning: \(model), \(method)\n\n"
        text += "- dense weights: \(denseWeights)\n"
        text += "- pruned: \(layers == .convolutions ? "Conv2d weights" : "Conv2d and Linear weights"), global unstructured\n"
        if let prueObjective { text += String(format: "- PrUE objective over the scoring pass: %.4f\n", prueObjective) }
        text += "- pruned teacher: best.safetensors (masks: best.masks.safetensors)\n\n"
        text += table + "\n\n## Final masks per layer\n\n| weight | pruned | total | sparsity |\n|---|---|---|---|\n"
        for layer in finalLayers { text += String(format: "| %@ | %d | %d | %.2f%% |\n", layer.name, layer.pruned, layer.total, layer.fraction * 100) }
        return text
    }

    var json: [String: Any] {
        var object: [String: Any] = ["model": model, "method": method, "weights": denseWeights, "layers": layers.rawValue,
                                     "stages": stages.map(\.json),
                                     "masks": Stage.json(finalLayers)]
        if let prueObjective { object["prue-objective"] = prueObjective }
        return object
    }

    /// Writes `pruning.md` and `pruning.json` into `directory`.
    func write(to directory: URL) throws {
        try AtomicFile.write(markdown, to: directory.appendingPathComponent("pruning.md"))
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: directory.appendingPathComponent("pruning.json"))
    }
}
