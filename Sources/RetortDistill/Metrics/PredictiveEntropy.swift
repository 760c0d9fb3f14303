import Foundation

/// Mean predictive entropy `(1/N) Σ_i −Σ_c p_ic log p_ic` of `p_i = softmax(z_i)` at T = 1, in
/// nats: how uncertain a classifier's predictions are (PrUE's "prediction uncertainty"; a pruned
/// teacher should report a higher value than its dense self). `logits` are `[N, classes]`
/// row-major; computed in Double from the log-softmax, so a probability that underflows to 0
/// contributes 0 (the limit of `p log p`).
public func meanPredictiveEntropy(logits: [Float], classes: Int) -> Double {
    guard classes > 0, logits.count >= classes else { return 0 }
    let rows = logits.count / classes
    var total = 0.0
    for row in 0..<rows {
        let z = logits[row * classes..<(row + 1) * classes].map(Double.init)
        let top = z.max() ?? 0
        let logSum = Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - top) })
        for value in z {
            let logP = value - top - logSum
            total -= Foundation.exp(logP) * logP
        }
    }
    return total / Double(rows)
}
