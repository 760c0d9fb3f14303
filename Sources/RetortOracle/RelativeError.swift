/// Largest |x − y| / max(1, |y|): the relative error every kernel is judged by against its Double oracle.
/// A NaN or infinity where the reference has none (or the other way round) is an infinite error: `max`
/// would otherwise skip NaN and let a kernel that writes NaN pass.
public func maxRelativeError(_ x: [Float], _ y: [Double]) -> Double {
    worstError(x, y) { max(1, abs($0)) }
}

/// Largest |x − y| over max(1, largest |y|): the error relative to the scale of the whole result, the
/// measure of the Winograd convolutions (their transforms spread the rounding of a tile's largest values
/// over all its elements). Non-finite values count as in ``maxRelativeError(_:_:)``.
public func maxScaledError(_ x: [Float], _ y: [Double]) -> Double {
    let scale = max(1, y.reduce(0) { $1.isFinite ? max($0, abs($1)) : $0 })
    return worstError(x, y) { _ in scale }
}

/// Largest |x − y| / `denominator(y)`, infinite where exactly one side is non-finite or they differ.
private func worstError(_ x: [Float], _ y: [Double], denominator: (Double) -> Double) -> Double {
    precondition(x.count == y.count, "compared arrays differ in length: \(x.count) vs \(y.count)")
    var worst = 0.0
    for (value, expected) in zip(x, y) {
        let actual = Double(value)
        if actual.isNaN || expected.isNaN || actual.isInfinite || expected.isInfinite {
            let same = (actual.isNaN && expected.isNaN) || actual == expected
            if !same { return .infinity }
            continue
        }
        worst = max(worst, abs(actual - expected) / denominator(expected))
    }
    return worst
}
