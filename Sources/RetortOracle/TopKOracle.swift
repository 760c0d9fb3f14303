/// CPU oracle of `TopKLauncher`: argmax and top-k membership.
public enum TopKOracle {
    /// torch.argmax: first maximum, NaN counts as the largest.
    public static func argmax(_ row: ArraySlice<Float>) -> UInt32 {
        var best = row.startIndex
        for c in row.indices {
            if row[best].isNaN { break }
            if row[c] > row[best] || row[c].isNaN { best = c }
        }
        return UInt32(best - row.startIndex)
    }

    /// Whether `label` is in the top k: fewer than k logits strictly greater than its own.
    public static func inTopK(_ row: ArraySlice<Float>, label: UInt32, k: Int) -> Bool {
        guard Int(label) < row.count else { return false }
        let target = row[row.startIndex + Int(label)]
        guard !target.isNaN else { return false }
        return row.filter { $0 > target }.count < k
    }

    /// How many rows of `logits` (`[labels.count, classes]`) have their label in the top k.
    public static func correctCount(_ logits: [Float], labels: [UInt32], classes: Int, k: Int) -> Int {
        labels.indices.filter { inTopK(logits[$0 * classes..<($0 + 1) * classes], label: labels[$0], k: k) }.count
    }
}
