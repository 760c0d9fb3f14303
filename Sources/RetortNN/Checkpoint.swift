import Foundation
import Retort
import RetortCheckpoint

/// A training checkpoint: the model's weights as a PyTorch-compatible `state_dict` file, and beside
/// it the optimizer state with the run state (epoch, step, …) as metadata. The files are written as
/// one (``AtomicFileGroup``): each in full to a staged file and flushed before any replaces its
/// predecessor, so an interrupted write never leaves a broken checkpoint, nor weights from one step
/// beside optimizer state from another once ``recover(in:)`` has run; and a write that fails (a full
/// disk, a file-size limit, a read-only folder) replaces none of them and names the file it could not write.
public enum Checkpoint {
    /// `weights.safetensors` → `weights.optimizer.safetensors`.
    public static func optimizerURL(for weights: URL) -> URL {
        weights.deletingPathExtension().appendingPathExtension("optimizer").appendingPathExtension("safetensors")
    }

    /// Writes the weights to `url` and the optimizer state plus `runState` beside it, as one.
    /// - Throws: ``SafeTensorsError/writeFailed(file:reason:)`` naming the file, with the previous
    ///   checkpoint left as it was.
    public static func save(model: any Module, optimizer: (any Optimizer)?, runState: [String: String] = [:], to url: URL) throws {
        try save([Entry(model: model, optimizer: optimizer, runState: runState, url: url)])
    }

    /// One checkpoint of a group written together (``save(_:)``).
    public struct Entry {
        public var model: any Module
        public var optimizer: (any Optimizer)?
        public var runState: [String: String]
        public var url: URL

        public init(model: any Module, optimizer: (any Optimizer)?, runState: [String: String] = [:], url: URL) {
            self.model = model
            self.optimizer = optimizer
            self.runState = runState
            self.url = url
        }
    }

    /// Writes several checkpoints in one folder (online co-training's networks), and `files` beside
    /// them (the metrics they go with), as one: after a crash and ``recover(in:)``, all of them are
    /// from the same step.
    public static func save(_ entries: [Entry], with files: [(contents: Data, url: URL)] = []) throws {
        guard let folder = entries.first?.url.deletingLastPathComponent() else { return }
        var files = files
        for entry in entries {
            guard entry.url.deletingLastPathComponent().standardizedFileURL == folder.standardizedFileURL else {
                throw CheckpointError.mixedFolders(entry.url.path, folder.path)
            }
            var weights = try entry.model.stateDict()
            weights.metadata = entry.runState
            files.append((try weights.serialized(), entry.url))
            if let optimizer = entry.optimizer {
                var state = try optimizer.state(parameterNames: entry.model.parameterNamesByIdentity())
                state.metadata = entry.runState.merging(["learning_rate": "\(optimizer.learningRate)"]) { $1 }
                files.append((try state.serialized(), optimizerURL(for: entry.url)))
            }
        }
        if let outside = files.first(where: { $0.url.deletingLastPathComponent().standardizedFileURL != folder.standardizedFileURL }) {
            throw CheckpointError.mixedFolders(outside.url.path, folder.path)
        }
        do {
            try AtomicFileGroup(directory: folder).replace(files)
        } catch {
            throw SafeTensorsError.writeFailed(file: error.file, reason: error.reason)
        }
    }

    /// Finishes or drops a checkpoint write that a crash interrupted in `directory` (see
    /// ``AtomicFileGroup/recover()``); call it before resuming from the folder's checkpoints.
    public static func recover(in directory: URL) throws {
        try AtomicFileGroup(directory: directory).recover()
    }

    /// Loads the weights (strictly: every key must match, every value finite) and, when present,
    /// the optimizer state (every value finite, saved with the same run state); returns the run
    /// state saved with them. Both files are read and checked before the model changes.
    @discardableResult
    public static func load(into model: any Module, optimizer: (any Optimizer)?, from url: URL) throws -> [String: String] {
        let weights = try SafeTensors(contentsOf: url)
        let stateURL = optimizerURL(for: url)
        var state: SafeTensors?
        if optimizer != nil, FileManager.default.fileExists(atPath: stateURL.path) {
            let read = try SafeTensors(contentsOf: stateURL)
            let mismatched = weights.metadata.filter { read.metadata[$0.key] != $0.value }
            guard mismatched.isEmpty else {
                throw CheckpointError.inconsistent(weights: url.path, optimizer: stateURL.path, keys: mismatched.keys.sorted())
            }
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
