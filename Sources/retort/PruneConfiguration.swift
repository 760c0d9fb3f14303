import Foundation

/// The settings of `retort prune`: the training settings of fine-tuning, the dense weights, the
/// pruning method, the one-shot target sparsity, and iterative pruning's rate and rounds.
struct PruneConfiguration: CommandConfiguration {
    static let command = TrainingCommand.prune
    var training = TrainingSettings()
    /// The dense weights to prune.
    var weights: String?
    /// The pruning method's name.
    var method: String?
    var sparsity: Double?
    var rate: Double?
    var rounds: Int?

    init() {}

    /// How `prune` chooses the weights to zero.
    enum PruningMethod: String, CaseIterable {
        /// PrUE (§4.17): one-shot, global over Conv2d weights, by prediction-uncertainty scores.
        case prue
        /// One-shot, global over Conv2d weights, by |w| (`L1Unstructured`).
        case magnitude
        /// One-shot, global over Conv2d weights, uniformly at random (`RandomUnstructured`), from `seed`.
        case random
        /// Prune-then-distill (§4.18): `rate` of the remaining Conv2d and Linear weights by |w| per
        /// round, each round fine-tuned with the schedule restarted (learning-rate rewinding).
        case iterative
    }

    /// The keys of `prune` beyond the training keys.
    static let pruneKeys = ["weights", "method", "sparsity", "rate", "rounds"]
    static let keys = TrainingSettings.keys + pruneKeys

    mutating func setOwn(_ setting: SettingText) throws(CLIError) {
        switch setting.key {
        case "weights": weights = setting.text
        case "method": method = setting.text
        case "rounds": rounds = try setting.integer(1...1_000)
        default:
            guard let value = Double(setting.text), value > 0, value < 1 else {
                throw .usage("\(setting.key) must be a fraction strictly between 0 and 1, got '\(setting.text)'")
            }
            if setting.key == "sparsity" { sparsity = value } else { rate = value }
        }
    }

    var defaultRunName: String { "\(training.model)-\(method ?? "prue")-pruned" }

    /// The chosen method (after ``validate()``).
    var pruningMethod: PruningMethod { PruningMethod(rawValue: method ?? "prue") ?? .prue }

    /// Checks the method and its settings and fills in the defaults: sparsity 0.5 for the one-shot
    /// methods; rate 0.2 and, without `rounds`, the rounds whose `1 − (1 − rate)^k` comes closest
    /// to `sparsity` (0.5 when not given) for `iterative`.
    mutating func validate() throws(CLIError) {
        let name = method ?? "prue"
        guard let chosen = PruningMethod(rawValue: name) else {
            throw .usage("unknown pruning method '\(name)'; choose one of \(PruningMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        method = name
        guard weights != nil else { throw .usage("prune needs --weights FILE.safetensors: the trained dense model to prune") }
        if chosen == .iterative {
            if sparsity != nil, rounds != nil {
                throw .usage("give --rounds or --sparsity for --method iterative, not both (the sparsity picks the rounds)")
            }
            let rate = rate ?? 0.2
            self.rate = rate
            if rounds == nil { rounds = Self.rounds(toReach: sparsity ?? 0.5, rate: rate) }
            sparsity = nil
        } else {
            if rate != nil || rounds != nil {
                throw .usage("--rate and --rounds apply to --method iterative; \(name) prunes once to --sparsity")
            }
            if sparsity == nil { sparsity = 0.5 }
        }
    }

    /// The rounds k ≥ 1 whose sparsity `1 − (1 − rate)^k` is closest to `sparsity`, the lower one
    /// on a tie (prune-then-distill's `iter_pruning_freq_determiner`, for any rate).
    static func rounds(toReach sparsity: Double, rate: Double) -> Int {
        func reached(_ k: Int) -> Double { 1 - pow(1 - rate, Double(k)) }
        var k = 1
        while k < 1_000, abs(sparsity - reached(k + 1)) < abs(sparsity - reached(k)) { k += 1 }
        return k
    }

    /// The `prune` settings as JSON (part of the run's `config.json`).
    var ownJSON: [String: Any] {
        var object: [String: Any] = [:]
        if let method { object["method"] = method }
        if let weights { object["weights"] = weights }
        if let sparsity { object["sparsity"] = sparsity }
        if let rate { object["rate"] = rate }
        if let rounds { object["rounds"] = rounds }
        return object
    }
}
