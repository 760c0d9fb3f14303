import Foundation
import Retort

/// MixUp of a batch (MIX-KD's partial or full mixup): `x̃ = a·x[π₁] + (1−a)·x[π₂]` and soft targets
/// `ỹ = a·onehot(y[π₁]) + (1−a)·onehot(y[π₂])`, with two random permutations and `a ~ Beta(α, α)`
/// drawn per sample. Partial mixup (the default, MIX-KD's `partmixup 0.9`) sets `a = 1` for
/// `⌊B·unmixedFraction⌋` sample positions drawn with replacement, so fewer than that fraction stay
/// unmixed; `unmixedFraction: 0` is full mixup.
public struct MixUp: Sendable, Equatable {
    public var classes: Int
    public var alpha: Float
    public var unmixedFraction: Float

    public init(classes: Int, alpha: Float = 1, unmixedFraction: Float = 0.9) {
        self.classes = classes
        self.alpha = alpha
        self.unmixedFraction = unmixedFraction
    }

    /// Mixed images (same shape, `[B, …]`) and soft targets `[B, classes]`, row-major.
    public func mix(images: [Float], labels: [Int], generator: inout SplitMix64) -> (images: [Float], targets: [Float]) {
        let count = labels.count
        guard count > 0 else { return (images, []) }
        let size = images.count / count
        let first = Array(0..<count).shuffled(using: &generator), second = Array(0..<count).shuffled(using: &generator)
        var weights = (0..<count).map { _ in Self.beta(alpha, using: &generator) }
        for _ in 0..<Int(Float(count) * unmixedFraction) { weights[Int.random(in: 0..<count, using: &generator)] = 1 }
        var mixed = [Float](repeating: 0, count: images.count)
        var targets = [Float](repeating: 0, count: count * classes)
        for row in 0..<count {
            let a = weights[row], (i, j) = (first[row], second[row])
            for k in 0..<size { mixed[row * size + k] = a * images[i * size + k] + (1 - a) * images[j * size + k] }
            targets[row * classes + labels[i]] += a
            targets[row * classes + labels[j]] += 1 - a
        }
        return (mixed, targets)
    }

    /// A draw from Beta(α, α) as X/(X+Y) of two Gamma(α) draws.
    static func beta(_ alpha: Float, using generator: inout SplitMix64) -> Float {
        let x = gamma(Double(alpha), using: &generator), y = gamma(Double(alpha), using: &generator)
        return x + y > 0 ? Float(x / (x + y)) : 0.5
    }

    /// Marsaglia–Tsang Gamma(shape, 1) sampling; shapes below 1 use the `U^(1/shape)` boost.
    static func gamma(_ shape: Double, using generator: inout SplitMix64) -> Double {
        if shape < 1 {
            let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator)
            return gamma(shape + 1, using: &generator) * Foundation.pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat {
                // Standard normal by Box–Muller.
                let u1 = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator), u2 = Double.random(in: 0..<1, using: &generator)
                x = (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator)
            if Foundation.log(u) < 0.5 * x * x + d - d * v + d * Foundation.log(v) { return d * v }
        }
    }
}
