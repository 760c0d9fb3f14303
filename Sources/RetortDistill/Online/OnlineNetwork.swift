import Foundation
import RetortNN

/// One network of an online run: its name in the run folder, the model, and its own optimizer and
/// learning-rate schedule.
public struct OnlineNetwork {
    /// Unique within the run: the key of its metrics and the prefix of its checkpoints.
    public var name: String
    public var model: any Classifier
    public var optimizer: any Optimizer
    public var schedule: any LearningRateSchedule

    public init(name: String, model: any Classifier, optimizer: any Optimizer, schedule: any LearningRateSchedule) {
        self.name = name
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
    }

    /// Names for models listed by zoo name: unique names stay, repeated ones get `-a`, `-b`, … in
    /// order (`[plane2, plane4, plane2]` → `[plane2-a, plane4, plane2-b]`).
    public static func uniqueNames(_ models: [String]) -> [String] {
        var seen: [String: Int] = [:]
        let counts = Dictionary(models.map { ($0, 1) }, uniquingKeysWith: +)
        return models.map { name in
            guard counts[name, default: 0] > 1 else { return name }
            let index = seen[name, default: 0]
            seen[name] = index + 1
            return "\(name)-\(suffix(index))"
        }
    }

    /// a, b, …, z, aa, ab, …
    private static func suffix(_ index: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return index < 26 ? String(letters[index]) : suffix(index / 26 - 1) + String(letters[index % 26])
    }
}
