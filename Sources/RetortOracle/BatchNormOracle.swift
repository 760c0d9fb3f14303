import Foundation

/// CPU oracle of `BatchNormLauncher`, in Double: batch statistics, the normalization (training and
/// evaluation) and the training backward.
public enum BatchNormOracle {
    /// Per-channel batch mean and biased variance over N·H·W.
    public static func statistics(_ x: [Float], _ s: NCHWShape) -> (mean: [Double], variance: [Double]) {
        var mean = [Double](repeating: 0, count: s.c), variance = [Double](repeating: 0, count: s.c)
        let count = Double(s.n * s.plane)
        for c in 0..<s.c {
            var sum = 0.0
            for n in 0..<s.n { for i in 0..<s.plane { sum += Double(x[(n * s.c + c) * s.plane + i]) } }
            mean[c] = sum / count
            var squares = 0.0
            for n in 0..<s.n { for i in 0..<s.plane { squares += pow(Double(x[(n * s.c + c) * s.plane + i]) - mean[c], 2) } }
            variance[c] = squares / count
        }
        return (mean, variance)
    }

    /// y = (x − mean) / sqrt(variance + eps) · weight + bias.
    public static func normalize(_ x: [Float], _ s: NCHWShape, mean: [Double], variance: [Double], weight: [Float], bias: [Float],
                                 eps: Double) -> [Double] {
        x.indices.map { index in
            let c = (index / s.plane) % s.c
            return (Double(x[index]) - mean[c]) / (variance[c] + eps).squareRoot() * Double(weight[c]) + Double(bias[c])
        }
    }

    /// dx, dweight, dbias of the training forward.
    public static func backward(dy: [Float], x: [Float], _ s: NCHWShape, weight: [Float],
                                eps: Double) -> (dx: [Double], dWeight: [Double], dBias: [Double]) {
        let (mean, variance) = statistics(x, s)
        let invstd = variance.map { 1 / ($0 + eps).squareRoot() }
        let count = Double(s.n * s.plane)
        var dWeight = [Double](repeating: 0, count: s.c), dBias = [Double](repeating: 0, count: s.c)
        for index in x.indices {
            let c = (index / s.plane) % s.c
            dBias[c] += Double(dy[index])
            dWeight[c] += Double(dy[index]) * (Double(x[index]) - mean[c]) * invstd[c]
        }
        let dx = x.indices.map { index -> Double in
            let c = (index / s.plane) % s.c
            let xHat = (Double(x[index]) - mean[c]) * invstd[c]
            return Double(weight[c]) * invstd[c] / count * (count * Double(dy[index]) - dBias[c] - xHat * dWeight[c])
        }
        return (dx, dWeight, dBias)
    }
}
