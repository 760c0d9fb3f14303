import Foundation
import RetortCompute

/// CPU oracle of `SoftmaxLauncher` (row-wise softmax and log-softmax with a temperature), in Double.
/// `CrossEntropyOracle` and `SoftmaxKLOracle` build on its `logSoftmax`.
public enum SoftmaxOracle {
    /// `log_softmax(x / temperature)` of one row.
    public static func logSoftmax<C: Collection<Float>>(_ x: C, temperature: Double = 1) -> [Double] {
        let z = x.map { Double($0) / temperature }
        let maximum = z.max() ?? 0
        let logSum = maximum + log(z.reduce(0) { $0 + exp($1 - maximum) })
        return z.map { $0 - logSum }
    }

    /// The row slice `[row * columns, (row + 1) * columns)` of `x`.
    public static func row(_ x: [Float], _ row: Int, _ columns: Int) -> ArraySlice<Float> {
        x[row * columns ..< (row + 1) * columns]
    }

    /// `variant(x / temperature)` of every row of `x` `[rows, columns]`.
    public static func forward(_ x: [Float], rows: Int, columns: Int, temperature: Double, variant: SoftmaxLauncher.Variant) -> [Double] {
        (0..<rows).flatMap { r -> [Double] in
            let logs = logSoftmax(row(x, r, columns), temperature: temperature)
            return variant == .softmax ? logs.map { exp($0) } : logs
        }
    }

    /// dx from the forward's output `y` and dy.
    public static func backward(y: [Float], dy: [Float], rows: Int, columns: Int, temperature: Double,
                                variant: SoftmaxLauncher.Variant) -> [Double] {
        (0..<rows).flatMap { r -> [Double] in
            let ys = row(y, r, columns).map(Double.init), gs = row(dy, r, columns).map(Double.init)
            switch variant {
            case .softmax:
                let dot = zip(ys, gs).reduce(0) { $0 + $1.0 * $1.1 }
                return zip(ys, gs).map { $0 * ($1 - dot) / temperature }
            case .logSoftmax:
                let sum = gs.reduce(0, +)
                return zip(ys, gs).map { ($1 - exp($0) * sum) / temperature }
            }
        }
    }
}
