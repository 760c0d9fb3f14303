/// The settings of a training command, from a JSON file (`--config`) and command-line flags with the
/// same names; flags override the file. Unknown keys, keys of another command or method, and bad
/// values are errors naming the key. The shared training settings are ``TrainingSettings``
/// (reachable as `configuration.epochs`); each command adds its own keys.
@dynamicMemberLookup
protocol CommandConfiguration: Equatable {
    /// Which command the settings are for.
    static var command: TrainingCommand { get }
    /// Every key the command takes.
    static var keys: [String] { get }
    var training: TrainingSettings { get set }
    /// The defaults.
    init()
    /// Sets one of the command's own keys (a key in ``keys`` that is not a training key).
    mutating func setOwn(_ setting: SettingText) throws(CLIError)
    /// Checks the settings together and fills in what depends on others.
    mutating func validate() throws(CLIError)
    /// The command's own settings as JSON.
    var ownJSON: [String: Any] { get }
    /// The run folder's name under `runs/` when `out` is not given.
    var defaultRunName: String { get }
    /// Refuses keys that were renamed (before the unknown-key check), naming the new ones.
    static func refuseRenamedKeys(_ given: [String]) throws(CLIError)
}

extension CommandConfiguration {
    var command: TrainingCommand { Self.command }

    static func refuseRenamedKeys(_ given: [String]) throws(CLIError) {}

    subscript<Value>(dynamicMember keyPath: WritableKeyPath<TrainingSettings, Value>) -> Value {
        get { training[keyPath: keyPath] }
        set { training[keyPath: keyPath] = newValue }
    }

    /// Builds the configuration from the optional JSON file, then the flags.
    static func resolve(file: [String: Any]?, flags: [String: String], switches: Set<String>) throws(CLIError) -> Self {
        var configuration = Self()
        try refuseRenamedKeys(Array((file ?? [:]).keys) + Array(flags.keys))
        for (key, value) in (file ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard keys.contains(key) else {
                throw .usage("unknown key '\(key)' in the config file for '\(command.rawValue)'; "
                             + "known keys: \(keys.joined(separator: ", "))")
            }
            try configuration.set(SettingText(key: key, json: value))
        }
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) where key != "config" && key != "resume" {
            guard keys.contains(key) else { throw .usage("unknown option '--\(key)' for '\(command.rawValue)'") }
            try configuration.set(SettingText(key: key, text: value))
        }
        if switches.contains("nesterov") { configuration.training.nesterov = true }
        if switches.contains("sync-bn") { configuration.training.synchronizesBatchNorms = true }
        _ = try configuration.training.normalization()
        try configuration.validate()
        return configuration
    }

    private mutating func set(_ setting: SettingText) throws(CLIError) {
        if (TrainingSettings.keys + TrainingSettings.dataParallelKeys).contains(setting.key) {
            try training.set(setting)
        } else {
            try setOwn(setting)
        }
    }

    /// The configuration as JSON (the run folder's `config.json`).
    var json: [String: Any] { training.json(keys: Self.keys).merging(ownJSON) { $1 } }
}
