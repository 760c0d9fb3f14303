import Retort

/// Draws CRD's contrast indices in RepDistiller's `'exact'` mode (`dataset/cifar100.py`
/// `CIFAR100InstanceSample`): for a sample at dataset index `i`, the row is `[i, n_1, …, n_K]` with
/// `K` distinct negatives drawn uniformly from the samples of the other classes.
///
/// `K` is clamped to what every class allows (`N − the largest class size`), so the negatives are
/// always drawn without replacement (RepDistiller falls back to drawing with replacement instead;
/// for CIFAR-100, 49 500 candidates ≥ 16 384, the two agree). Each draw is Floyd's algorithm over
/// the candidates: `K` random numbers per sample, no per-class candidate lists, so memory stays
/// `O(N)` for any number of classes. Seeded: the same seed gives the same indices.
public struct ContrastSampler: Sendable {
    /// The class of every training sample, by dataset index.
    public let labels: [Int]
    /// Negatives per sample, after clamping.
    public let negatives: Int
    /// Dataset indices sorted by class (stable): class `c` occupies `start[c]..<start[c] + size[c]`.
    private let order: [Int32]
    private let start: [Int]
    private let size: [Int]
    private var generator: SplitMix64
    /// Floyd's membership marks, by candidate position: `marks[p] == generation` means taken.
    private var marks: [UInt32]
    private var generation: UInt32 = 0

    /// - Parameters:
    ///   - labels: all `N` training labels (non-negative), by dataset index.
    ///   - negatives: `K` asked for; clamped to `N − the largest class size`.
    ///   - seed: seeds the draws.
    public init(labels: [Int], negatives: Int, seed: UInt64) throws {
        guard negatives > 0 else { throw DistillationError.invalidConfiguration("crd: the number of negatives must be positive, got \(negatives).") }
        guard labels.count <= Int(Int32.max) else { throw DistillationError.invalidConfiguration("crd: more than 2³¹ training samples.") }
        if let bad = labels.first(where: { $0 < 0 }) {
            throw DistillationError.invalidConfiguration("crd: training labels must be non-negative, got \(bad).")
        }
        let classes = (labels.max() ?? -1) + 1
        var size = [Int](repeating: 0, count: classes)
        for label in labels { size[label] += 1 }
        let allowed = labels.count - (size.max() ?? 0)
        guard allowed > 0 else {
            throw DistillationError.invalidConfiguration("crd: negatives come from other classes, but the \(labels.count) training samples have one class.")
        }
        var start = [Int](repeating: 0, count: classes)
        for c in 1..<max(1, classes) { start[c] = start[c - 1] + size[c - 1] }
        var next = start
        var order = [Int32](repeating: 0, count: labels.count)
        for (index, label) in labels.enumerated() {
            order[next[label]] = Int32(index)
            next[label] += 1
        }
        self.labels = labels
        self.negatives = min(negatives, allowed)
        self.order = order
        self.start = start
        self.size = size
        generator = SplitMix64(seed: seed)
        marks = [UInt32](repeating: 0, count: labels.count)
    }

    /// Where the draws are in their seeded stream: a sampler set to a saved position draws what the
    /// one that saved it would have drawn next (how a resumed CRD run draws the same negatives).
    public var position: UInt64 {
        get { generator.state }
        set { generator = SplitMix64(seed: newValue) }
    }

    /// The largest `K` that `labels` allow: `N` minus the size of the largest class.
    public static func maximumNegatives(labels: [Int]) -> Int {
        var size: [Int: Int] = [:]
        for label in labels { size[label, default: 0] += 1 }
        return labels.count - (size.values.max() ?? labels.count)
    }

    /// The contrast indices of a batch, row-major `[B, K + 1]`: each row is the sample's own dataset
    /// index followed by its `K` negatives.
    public mutating func draw(for samples: [Int]) throws -> [Int] {
        var rows: [Int] = []
        rows.reserveCapacity(samples.count * (negatives + 1))
        for sample in samples {
            guard labels.indices.contains(sample) else {
                throw DistillationError.invalidConfiguration("crd: sample index \(sample) is outside the \(labels.count) training samples.")
            }
            let label = labels[sample]
            let (first, count) = (start[label], size[label])
            let candidates = labels.count - count
            rows.append(sample)
            nextGeneration()
            // Floyd: for j in n−K..<n, take a random t ≤ j, or j itself when t is already taken.
            for j in (candidates - negatives)..<candidates {
                let t = Int.random(in: 0...j, using: &generator)
                let pick = marks[t] == generation ? j : t
                marks[pick] = generation
                // Candidate position → dataset index, skipping the sample's own class block.
                rows.append(Int(order[pick < first ? pick : pick + count]))
            }
        }
        return rows
    }

    private mutating func nextGeneration() {
        if generation == .max {
            for p in marks.indices { marks[p] = 0 }
            generation = 0
        }
        generation += 1
    }
}
