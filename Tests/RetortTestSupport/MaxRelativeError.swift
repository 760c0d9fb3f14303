/// Largest |x − y| / max(1, |y|): the relative error used against Double references. A NaN or
/// infinity where the reference has none (or the other way round) is an infinite error: `max` would
/// otherwise skip NaN and let a kernel that writes NaN pass.
public func maxRelativeError(_ x: [Float], _ y: [Double]) -> Double {
    precondition(x.count == y.count, "compared arrays differ in length: \(x.count) vs \(y.count)")
    var worst = 0.0
    for (value, expected) in zip(x, y) {
        let actual = Double(value)
        if actual.isNaN || expected.isNaN || actual.isInfinite || expected.isInfinite {
            let same = (actual.isNaN && expected.isNaN) || actual == expected
            if !same { return .infinity }
            continue
        }
        worst = max(worst, abs(actual - expected) / max(1, abs(expected)))
    }
    return worst
}
