/// A small, fast, seeded random number generator (SplitMix64): the same seed gives the same stream
/// on every machine, which is what reproducible initialization, shuffling and tests need.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's position: `SplitMix64(seed: state)` continues the stream from here.
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` floats drawn uniformly from `range`.
    public mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }
}
