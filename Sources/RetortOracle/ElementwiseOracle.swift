import RetortCompute

/// CPU oracle of `ElementwiseLauncher`'s broadcast binary ops, in Double.
public enum ElementwiseOracle {
    /// Index into the broadcast operand of element `e` of a tensor of `shape`.
    public static func bIndex(_ e: Int, shape: [Int], _ broadcast: ElementwiseLauncher.Broadcast) -> Int {
        let count = shape.reduce(1, *)
        switch broadcast {
        case .full: return e
        case .channel: return (e / shape.dropFirst(2).reduce(1, *)) % shape[1]
        case .sample: return e / (count / shape[0])
        case .scalar: return 0
        }
    }

    /// `op(a, b)` element by element, b broadcast over a of `shape`.
    public static func binary(_ a: [Float], _ b: [Float], shape: [Int], _ broadcast: ElementwiseLauncher.Broadcast,
                       _ op: (Double, Double) -> Double) -> [Double] {
        a.indices.map { op(Double(a[$0]), Double(b[bIndex($0, shape: shape, broadcast)])) }
    }

    /// Sums `gradient` of `shape` back to the broadcast operand's shape.
    public static func sum(_ gradient: [Double], shape: [Int], to broadcast: ElementwiseLauncher.Broadcast) -> [Double] {
        var result = [Double](repeating: 0, count: broadcast.count(for: shape))
        for e in gradient.indices { result[bIndex(e, shape: shape, broadcast)] += gradient[e] }
        return result
    }

    /// The same-shape `operation` of a and b, rounded as Float arithmetic rounds it.
    public static func apply(_ operation: ElementwiseLauncher.Operation, _ a: [Float], _ b: [Float]) -> [Double] {
        zip(a, b).map { x, y in
            switch operation {
            case .add: return Double(x + y)
            case .subtract: return Double(x - y)
            case .multiply: return Double(x * y)
            case .divide: return Double(x / y)
            case .maximum: return Double(Swift.max(x, y))
            case .minimum: return Double(Swift.min(x, y))
            }
        }
    }
}
