/// Where an online run continues: the epoch, the steps of it already done, and that epoch's running
/// sums per network (so its metrics come out as in an uninterrupted run), saved as the run state of
/// every network's `last` checkpoint.
public struct OnlineResumePoint: Equatable, Sendable {
    /// The epoch to continue (0-based).
    public var epoch = 0
    /// The steps of ``epoch`` already done.
    public var step = 0
    /// Per network: the sum of its losses × batch size, the samples they cover, its correct
    /// predictions and its optimizer steps this epoch.
    var lossSums: [Double] = [], lossSeen: [Int] = [], correct: [Int] = [], updates: [Int] = []
    /// Samples seen this epoch.
    var seen = 0
    /// The switching objective's counters this epoch (`<mode>_steps`, `switches`).
    var counters: [String: Int] = [:]
    /// Each switch's mode on the latest step (switches are counted across epochs); empty before the
    /// first step and for objectives without modes.
    var modes: [String] = []

    public static let start = OnlineResumePoint()

    init(epoch: Int = 0, step: Int = 0, lossSums: [Double] = [], lossSeen: [Int] = [], correct: [Int] = [], updates: [Int] = [],
         seen: Int = 0, counters: [String: Int] = [:], modes: [String] = []) {
        self.epoch = epoch
        self.step = step
        self.lossSums = lossSums
        self.lossSeen = lossSeen
        self.correct = correct
        self.updates = updates
        self.seen = seen
        self.counters = counters
        self.modes = modes
    }

    /// The point as checkpoint metadata (numbers as their shortest exact text).
    var runState: [String: String] {
        func list(_ values: [some CustomStringConvertible]) -> String { values.map(\.description).joined(separator: ",") }
        return ["epoch": "\(epoch)", "step": "\(step)", "mode": modes.joined(separator: ","), "loss_sums": list(lossSums),
                "loss_seen": list(lossSeen),
                "correct": list(correct), "updates": list(updates), "seen": "\(seen)",
                "counters": counters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
    }

    /// Reads ``runState`` back for `networks` networks; a checkpoint saved at an epoch's end by an
    /// earlier version (only `epoch` and `mode`) reads as the start of that epoch.
    init?(runState state: [String: String], networks: Int) {
        guard let epoch = state["epoch"].flatMap(Int.init) else { return nil }
        func list<T>(_ key: String, _ parse: (Substring) -> T?) -> [T]? {
            guard let text = state[key], !text.isEmpty else { return Array(repeating: parse("0")!, count: networks) }
            let values = text.split(separator: ",").compactMap(parse)
            return values.count == networks ? values : nil
        }
        guard let lossSums = list("loss_sums", { Double($0) }), let lossSeen = list("loss_seen", { Int($0) }),
              let correct = list("correct", { Int($0) }), let updates = list("updates", { Int($0) }) else { return nil }
        var counters: [String: Int] = [:]
        for pair in (state["counters"] ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let value = Int(parts[1]) else { return nil }
            counters[String(parts[0])] = value
        }
        self.init(epoch: epoch, step: state["step"].flatMap(Int.init) ?? 0, lossSums: lossSums, lossSeen: lossSeen, correct: correct,
                  updates: updates, seen: state["seen"].flatMap(Int.init) ?? 0, counters: counters,
                  modes: (state["mode"] ?? "").split(separator: ",").map(String.init))
    }

    /// Whether a `modes.csv` row (1-based epoch and step) was written before this point.
    func precedes(rowEpoch: Int, rowStep: Int) -> Bool {
        rowEpoch - 1 < epoch || (rowEpoch - 1 == epoch && rowStep - 1 < step)
    }
}
