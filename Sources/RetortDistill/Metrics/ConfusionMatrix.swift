/// Counts of (true class, predicted class) pairs on a dataset: the confusion matrix, and the
/// per-class accuracy (recall) it gives.
public struct ConfusionMatrix: Codable, Equatable, Sendable {
    /// `counts[label][predicted]`.
    public var counts: [[Int]]

    /// Tallies the top-1 predictions of `logits` (`[N, classes]` row-major; ties go to the first
    /// class) against `labels`.
    public init(logits: [Float], labels: [Int], classes: Int) {
        counts = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        guard classes > 0, logits.count >= labels.count * classes else { return }
        for (row, label) in labels.enumerated() where (0..<classes).contains(label) {
            let scores = logits[row * classes..<(row + 1) * classes]
            let predicted = scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) }! - row * classes
            counts[label][predicted] += 1
        }
    }

    /// Correct over all samples of each class; nil for a class with no samples.
    public var perClassAccuracy: [Double?] {
        counts.enumerated().map { label, row in
            let total = row.reduce(0, +)
            return total > 0 ? Double(row[label]) / Double(total) : nil
        }
    }
}
