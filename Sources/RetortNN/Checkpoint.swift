import Foundation
import Retort
import RetortCheckpoint

/// A training checkpoint: the model's weights as a PyTorch-compatible `state_dict` file, and beside
/// it the optimizer state with the run state (epoch, step, …) as metadata. Both files are written in
/// full to temporary files and flushed before either replaces its predecessor (temporary file +
/// rename), so an interrupted write never leaves a broken checkpoint, and a write that fails (a full
/// disk, a file-size limit, a read-only folder) replaces neither and names the file it could not write.
public enum Checkpoint {
    /// `weights.safetensors` → `weights.optimizer.safetensors`.
    public static func optimizerURL(for weights: URL) -> URL {
        weights.deletingPathExtension().appendingPathExtension("optimizer").appendingPathExtension("safetensors")
    }

    /// Writes the weights to `url` and the optimizer state plus `runState` beside it.
    /// - Throws: ``SafeTensorsError/writeFailed(file:reason:)`` naming the file, with the previous
    ///   checkpoint left as it was.
    public static func save(model: any Module, optimizer: (any Optimizer)?, runState: [String: String] = [:], to url: URL) throws {
        var weights = try model.stateDict()
        weights.metadata = runState
        var files = [(weights, url)]
        if let optimizer {
            var state = try optimizer.state(parameterNames: model.parameterNamesByIdentity())
            state.metadata = runState.merging(["learning_rate": "\(optimizer.learningRate)"]) { $1 }
            files.append((state, optimizerURL(for: url)))
        }
        do {
            let staged = try files.map { file, url in try AtomicFile.stage(file.serialized(), at: url) }
            for file in staged { try file.commit() }
        } catch let failure as AtomicFile.Failure {
            throw SafeTensorsError.writeFailed(file: failure.path, reason: failure.reason)
        }
    }

    /// Loads the weights (strictly: every key must match, every value finite) and, when present,
    /// the optimizer state (every value finite); returns the run state saved with them. Both files
    /// are read and checked before the model changes.
    @discardableResult
    public static func load(into model: any Module, optimizer: (any Optimizer)?, from url: URL) throws -> [String: String] {
        let weights = try SafeTensors(contentsOf: url)
        let stateURL = optimizerURL(for: url)
        var state: SafeTensors?
        if optimizer != nil, FileManager.default.fileExists(atPath: stateURL.path) {
            let read = try SafeTensors(contentsOf: stateURL)
            try read.checkFinite(read.tensors.keys, source: stateURL.path)
            state = read
        }
        try model.load(stateDict: weights, source: url.path)
        if let optimizer, let state {
            try optimizer.loadState(state, parameterNames: model.parameterNamesByIdentity())
            if let rate = state.metadata["learning_rate"].flatMap(Double.init) { optimizer.learningRate = rate }
        }
        return weights.metadata
    }
}
