import Foundation

/// CPU oracle of RetortDistill's `ContrastiveMemoryLauncher` (CRD's memory bank), in Double. The bank is
/// `[bankRows, dimension]`, anchors `[rows, dimension]`, indices and scores `[rows, columns]`.
public enum ContrastiveMemoryOracle {
    /// scores[i, j] = bank[indices[i, j]] · anchors[i].
    public static func scores(bank: [Float], anchors: [Float], indices: [Int], rows: Int, dimension: Int) -> [Double] {
        let columns = indices.count / rows
        return (0..<(rows * columns)).map { at in
            let (i, r) = (at / columns, indices[at])
            return (0..<dimension).reduce(0.0) { $0 + Double(bank[r * dimension + $1]) * Double(anchors[i * dimension + $1]) }
        }
    }

    /// The anchors' gradient of ``scores(bank:anchors:indices:rows:dimension:)``: Σ_j dscores[i, j] · bank[indices[i, j]].
    public static func scoresBackward(bank: [Float], scoreGradient: [Float], indices: [Int], rows: Int, dimension: Int) -> [Double] {
        let columns = indices.count / rows
        var gradient = [Double](repeating: 0, count: rows * dimension)
        for at in indices.indices {
            let (i, r) = (at / columns, indices[at])
            for d in 0..<dimension { gradient[i * dimension + d] += Double(scoreGradient[at]) * Double(bank[r * dimension + d]) }
        }
        return gradient
    }

    /// RepDistiller's `NCECriterion` per row, times `scale`, on x = exp(s / T) / Z (column 0 the positive,
    /// c = noise + epsilon), and the gradient of the rows' sum with respect to the scores.
    public static func nce(scores: [Float], rows: Int, normalizer: Double, temperature: Double, noise: Double, epsilon: Double = 1e-7,
                           scale: Double) -> (loss: [Double], gradient: [Double]) {
        let columns = scores.count / rows, c = noise + epsilon
        var loss: [Double] = [], gradient: [Double] = []
        for i in 0..<rows {
            var total = 0.0
            for j in 0..<columns {
                let x = exp(Double(scores[i * columns + j]) / temperature) / normalizer
                total += j == 0 ? log(x / (x + c)) : log(noise / (x + c))
                gradient.append(scale * (j == 0 ? -c / (x + c) : x / (x + c)) / temperature)
            }
            loss.append(-scale * total)
        }
        return (loss, gradient)
    }

    /// The bank after bank[indices[i]] ← normalize(momentum · bank[indices[i]] + (1 − momentum) · values[i]),
    /// normalize(u) = u / max(‖u‖₂, 1e-12).
    public static func update(bank: [Float], values: [Float], indices: [Int], dimension: Int, momentum: Double) -> [Double] {
        var result = bank.map(Double.init)
        for (i, r) in indices.enumerated() {
            let u = (0..<dimension).map {
                momentum * Double(bank[r * dimension + $0]) + (1 - momentum) * Double(values[i * dimension + $0])
            }
            let norm = max(u.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            for d in 0..<dimension { result[r * dimension + d] = u[d] / norm }
        }
        return result
    }
}
