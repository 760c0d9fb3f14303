import Foundation
import Retort

/// Parameter initialisers, seeded so the same seed gives the same model on every machine.
/// Each returns host values; layers upload them once.
public enum Initialization {
    /// `kaiming_normal_(w, mode="fan_out", nonlinearity="relu")`: N(0, 2 / fan_out), with
    /// fan_out = outChannels · kernel area. The CIFAR ResNets of the references use it for convs.
    public static func kaimingNormalFanOut(count: Int, fanOut: Int, using generator: inout SplitMix64) -> [Float] {
        normal(count: count, standardDeviation: (2 / Double(max(1, fanOut))).squareRoot(), using: &generator)
    }

    /// PyTorch's default for `nn.Linear` and `nn.Conv2d` weights and biases:
    /// U(−1/√fan_in, 1/√fan_in) (`kaiming_uniform_(a=√5)` reduces to this bound for weights).
    public static func pytorchDefault(count: Int, fanIn: Int, using generator: inout SplitMix64) -> [Float] {
        let bound = Float(1 / Double(max(1, fanIn)).squareRoot())
        return (0..<count).map { _ in Float.random(in: -bound...bound, using: &generator) }
    }

    /// Samples of N(0, σ²) by the Box–Muller transform (two per pair of uniforms).
    public static func normal(count: Int, standardDeviation: Double, using generator: inout SplitMix64) -> [Float] {
        var values: [Float] = []
        values.reserveCapacity(count)
        while values.count < count {
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
            let u2 = Double.random(in: 0..<1, using: &generator)
            let radius = (-2 * log(u1)).squareRoot() * standardDeviation
            values.append(Float(radius * cos(2 * .pi * u2)))
            if values.count < count { values.append(Float(radius * sin(2 * .pi * u2))) }
        }
        return values
    }
}
