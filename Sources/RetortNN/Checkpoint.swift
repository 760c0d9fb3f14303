import Foundation
import Retort
import RetortCheckpoint

/// A training checkpoint: the model's weights as a PyTorch-compatible `state_dict` file, and beside
/// it the optimizer state with the run state (epoch, step, …) as metadata. Each file is written
/// atomically (temporary file + rename), so an interrupted write never leaves a broken checkpoint.
public enum Checkpoint {
    /// `weights.safetensors` → `weights.optimizer.safetensors`.
    public static func optimizerURL(for weights: URL) -> URL {
        weights.deletingPathExtension().appendingPathExtension("optimizer").appendingPathExtension("safetensors")
    }

    /// Writes the weights to `url` and the optimizer state plus `runState` beside it.
    public static func save(model: any Module, optimizer: (any Optimizer)?, runState: [String: String] = [:], to url: URL) throws {
        var weights = try model.stateDict()
        weights.metadata = runState
        try weights.write(to: url)
        if let optimizer {
            var state = try optimizer.state(parameterNames: model.parameterNamesByIdentity())
            state.metadata = runState.merging(["learning_rate": "\(optimizer.learningRate)"]) { $1 }
            try state.write(to: optimizerURL(for: url))
        }
    }

    /// Loads the weights (strictly: every key must match) and, when present, the optimizer state;
    /// returns the run state saved with them.
    @discardableResult
    public static func load(into model: any Module, optimizer: (any Optimizer)?, from url: URL) throws -> [String: String] {
        let weights = try SafeTensors(contentsOf: url)
        try model.load(stateDict: weights, source: url.path)
        let stateURL = optimizerURL(for: url)
        if let optimizer, FileManager.default.fileExists(atPath: stateURL.path) {
            let state = try SafeTensors(contentsOf: stateURL)
            try optimizer.loadState(state, parameterNames: model.parameterNamesByIdentity())
            if let rate = state.metadata["learning_rate"].flatMap(Double.init) { optimizer.learningRate = rate }
        }
        return weights.metadata
    }
}
