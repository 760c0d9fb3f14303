import RetortCompute

/// CPU oracle of `ReduceLauncher`'s sums, in Double.
public enum ReduceOracle {
    /// Sums over the middle axis of x viewed as `[outer, reduced, inner]`.
    public static func sum(_ x: [Float], _ view: ReduceLauncher.AxisView) -> [Double] {
        var y = [Double](repeating: 0, count: view.outer * view.inner)
        for o in 0..<view.outer {
            for r in 0..<view.reduced {
                for i in 0..<view.inner { y[o * view.inner + i] += Double(x[(o * view.reduced + r) * view.inner + i]) }
            }
        }
        return y
    }

    /// Sums over every axis but `axis`.
    public static func sum(_ x: [Float], shape: [Int], keeping axis: Int) -> [Double] {
        let inner = shape[(axis + 1)...].reduce(1, *)
        var y = [Double](repeating: 0, count: shape[axis])
        for e in x.indices { y[(e / inner) % shape[axis]] += Double(x[e]) }
        return y
    }
}
