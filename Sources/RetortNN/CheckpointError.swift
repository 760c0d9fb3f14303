/// A checkpoint that cannot be written or resumed from as asked; each case names the files.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Checkpoints written together (``Checkpoint/save(_:)``) must share one folder.
    case mixedFolders(String, String)
    /// The weights and the optimizer state beside them record different run states (`keys` differ):
    /// they were not written together.
    case inconsistent(weights: String, optimizer: String, keys: [String])

    public var description: String {
        switch self {
        case .mixedFolders(let file, let folder):
            "checkpoints written together must share one folder: \(file) is not in \(folder)"
        case .inconsistent(let weights, let optimizer, let keys):
            "\(weights) and \(optimizer) are from different steps (\(keys.joined(separator: ", ")) differ); "
                + "restore both from one save, or start the run again"
        }
    }
}
