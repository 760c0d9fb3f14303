import Foundation
import RetortCompute
import RetortDistill

/// The settings every training command shares (`train`, `distill`, `selfdistill`, `prune`,
/// `online`): model, data, optimizer, schedule, seed and run folder.
struct TrainingSettings: Equatable {
    var model = "plane6"
    var dataset = "fashion-mnist"
    var dataDirectory: String?
    var epochs = 3
    var batchSize = 128
    var learningRate = 0.05
    var momentum = 0.9
    var weightDecay = 5e-4
    var nesterov = false
    var schedule = "cosine"
    var milestones: [Int] = []
    var gamma = 0.1
    var stepSize = 30
    var warmupEpochs = 0
    var labelSmoothing = 0.0
    var seed = 0
    var limit: Int?
    var out: String?
    /// Keep the weights after every `saveEvery`-th epoch (`epoch-<n>.safetensors`).
    var saveEvery: Int?
    /// Also save `last` after every `saveEverySteps`-th step, so a crash loses at most that many steps.
    var saveEverySteps: Int?
    /// Run each batch as this many ghost batches (batch norm per ghost batch, gradients averaged): how
    /// one process reproduces data-parallel ranks' per-rank batch statistics.
    var ghostBatches = 1
    /// Under `mpirun -np N` (N > 1), batch norms compute their statistics over the global batch of all
    /// ranks (`--sync-bn`, PyTorch's `SyncBatchNorm`); in a single process it changes nothing.
    var synchronizesBatchNorms = false
    /// `--normalization NAME`: a reference codebase's input normalization (``NormalizationPreset``).
    var normalizationPreset: NormalizationPreset?
    /// `--mean a,b,c` and `--std a,b,c`: the input normalization, one value per channel (both or neither).
    var mean: [Float]?
    var std: [Float]?
    /// `--input CxHxW`: the sample shape of a folder dataset (default: its layout's, 3x224x224 or 3x64x64).
    var input: String?
    /// `--workers N`: threads preparing each batch's samples (default: the number of cores).
    var workers: Int?
    /// `--bad-images skip|fail`: what a folder dataset does with a file it cannot read.
    var badImages = BadImagePolicy.fail
    /// `--precision fp32|fp16|bf16`: mixed-precision training (16-bit activations and working weights,
    /// fp32 master weights; fp16 with dynamic loss scaling).
    var precision = Precision.float32

    /// The keys, as they appear in JSON and (with `--`) on the command line.
    static let keys = ["model", "dataset", "data-dir", "epochs", "batch-size", "lr", "momentum", "weight-decay", "nesterov",
                       "schedule", "milestones", "gamma", "step-size", "warmup-epochs", "label-smoothing", "seed", "limit", "out",
                       "save-every", "save-every-steps", "ghost-batches", "normalization", "mean", "std", "input", "workers",
                       "bad-images", "precision"]
    /// The keys of the data-parallel commands alone (`train`, `distill`, `selfdistill`).
    static let dataParallelKeys = ["sync-bn"]

    /// Sets one of ``keys``; the error names the key.
    mutating func set(_ setting: SettingText) throws(CLIError) {
        let text = setting.text
        switch setting.key {
        case "model": model = text
        case "dataset":
            guard DatasetKind(rawValue: text) != nil else {
                throw .usage("dataset must be fashion-mnist, mnist, cifar10, cifar100 or folder (with --data-dir DIR), got '\(text)'")
            }
            dataset = text
        case "data-dir": dataDirectory = text
        case "epochs": epochs = try setting.integer(1...100_000)
        case "batch-size": batchSize = try setting.integer(2...65_536)
        case "lr": learningRate = try setting.number(0...100)
        case "momentum": momentum = try setting.number(0...1)
        case "weight-decay": weightDecay = try setting.number(0...1)
        case "nesterov": nesterov = try setting.boolean()
        case "schedule":
            guard ["cosine", "multistep", "step", "constant"].contains(text) else {
                throw .usage("schedule must be cosine, multistep, step or constant, got '\(text)'")
            }
            schedule = text
        case "milestones":
            let items = (setting.json as? [Any])?.map { "\($0)" } ?? text.split(separator: ",").map(String.init)
            let values = items.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == items.count, values.allSatisfy({ $0 > 0 }) else {
                throw .usage("milestones must be positive epoch numbers like 150,180,210, got '\(text)'")
            }
            milestones = values
        case "gamma": gamma = try setting.number(0...1)
        case "step-size": stepSize = try setting.integer(1...100_000)
        case "warmup-epochs": warmupEpochs = try setting.integer(0...100_000)
        case "label-smoothing": labelSmoothing = try setting.number(0...1)
        case "seed": seed = try setting.integer(0...Int(Int32.max))
        case "limit": limit = try setting.integer(1...Int(Int32.max))
        case "out": out = text
        case "save-every": saveEvery = try setting.integer(1...100_000)
        case "save-every-steps": saveEverySteps = try setting.integer(1...Int(Int32.max))
        case "ghost-batches": ghostBatches = try setting.integer(1...4096)
        case "sync-bn": synchronizesBatchNorms = try setting.boolean()
        case "normalization":
            guard let preset = NormalizationPreset(rawValue: text.lowercased()) else {
                let names = NormalizationPreset.allCases.map(\.rawValue).joined(separator: ", ")
                throw .usage("normalization must be one of \(names), got '\(text)'")
            }
            normalizationPreset = preset
        case "mean", "std":
            let items = setting.list()
            let values = items.compactMap { Float($0) }.filter(\.isFinite)
            guard !items.isEmpty, values.count == items.count, setting.key == "mean" || values.allSatisfy({ $0 > 0 }) else {
                throw .usage("\(setting.key) must be one \(setting.key == "std" ? "positive " : "")number per channel like "
                             + "\(setting.key == "mean" ? "0.5071,0.4867,0.4408" : "0.2675,0.2565,0.2761"), got '\(text)'")
            }
            if setting.key == "mean" { mean = values } else { std = values }
        case "input":
            _ = try ModelsCommand.inputShape(text)
            input = text
        case "workers": workers = try setting.integer(1...1024)
        case "bad-images":
            guard let policy = BadImagePolicy(rawValue: text) else { throw .usage("bad-images must be skip or fail, got '\(text)'") }
            badImages = policy
        case "precision":
            guard let value = Precision(rawValue: text.lowercased()) else {
                throw .usage("precision must be fp32, fp16 or bf16, got '\(text)'")
            }
            precision = value
        default: throw .usage("unknown training setting '\(setting.key)'")
        }
    }

    /// The settings as JSON, only the keys in `keys` (a command that does not take `model` has none).
    func json(keys: [String]) -> [String: Any] {
        var object: [String: Any] = ["model": model, "dataset": dataset, "epochs": epochs, "batch-size": batchSize, "lr": learningRate,
                                     "momentum": momentum, "weight-decay": weightDecay, "nesterov": nesterov, "schedule": schedule,
                                     "milestones": milestones, "gamma": gamma, "step-size": stepSize, "warmup-epochs": warmupEpochs,
                                     "label-smoothing": labelSmoothing, "seed": seed, "sync-bn": synchronizesBatchNorms]
        if let dataDirectory { object["data-dir"] = dataDirectory }
        if let limit { object["limit"] = limit }
        if let out { object["out"] = out }
        if let saveEvery { object["save-every"] = saveEvery }
        if let saveEverySteps { object["save-every-steps"] = saveEverySteps }
        if ghostBatches != 1 { object["ghost-batches"] = ghostBatches }
        if let normalizationPreset { object["normalization"] = normalizationPreset.rawValue }
        // Each Float as its shortest decimal (0.2675, not 0.26750001311302185).
        if let mean { object["mean"] = mean.map { Double("\($0)") ?? Double($0) } }
        if let std { object["std"] = std.map { Double("\($0)") ?? Double($0) } }
        if let input { object["input"] = input }
        if let workers { object["workers"] = workers }
        if badImages != .fail { object["bad-images"] = badImages.rawValue }
        if precision != .float32 { object["precision"] = precision.rawValue }
        return object.filter { keys.contains($0.key) }
    }
}
