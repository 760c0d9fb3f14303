import Retort

/// Zeroes each element with probability `p` in training mode and scales the rest by 1/(1 − p)
/// (PyTorch's `nn.Dropout`); the identity in evaluation mode. Masks come from the layer's own
/// seeded generator, so a run with the same seed drops the same elements.
public final class Dropout: Module {
    public let probability: Float
    public var isTraining = true
    private let seed: UInt64
    private var generator: SplitMix64

    public init(_ probability: Float = 0.5, seed: UInt64 = 0) throws {
        guard (0..<1).contains(probability) else {
            throw ModelError.invalidConfiguration("Dropout probability must be in [0, 1), got \(probability)")
        }
        self.probability = probability
        self.seed = seed
        generator = SplitMix64(seed: seed)
    }

    public var entries: [ModuleEntry] { [] }

    /// The next mask of the layer's generator.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try dropping(input, using: &generator)
    }

    /// The mask of training step `step` alone: a function of the seed and `step`, so every call with
    /// the same step drops the same elements, and a run that restores its step count from a checkpoint
    /// (such as a batch norm's `num_batches_tracked`) continues with the masks an uninterrupted run draws.
    public func callAsFunction(_ input: Tensor, step: Int64) throws -> Tensor {
        var hash = SplitMix64(seed: seed ^ UInt64(bitPattern: step))
        var stepGenerator = SplitMix64(seed: hash.next())
        return try dropping(input, using: &stepGenerator)
    }

    private func dropping(_ input: Tensor, using generator: inout SplitMix64) throws -> Tensor {
        guard isTraining, probability > 0 else { return input }
        let keep = 1 / (1 - probability)
        let mask = (0..<input.count).map { _ in Float.random(in: 0..<1, using: &generator) < probability ? 0 : keep }
        // The mask is a constant: the product's backward multiplies the gradient by it.
        return try input * Tensor(mask, shape: input.shape, context: input.context)
    }
}
