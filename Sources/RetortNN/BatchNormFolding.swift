import Foundation
import Retort

// Batch-norm folding for frozen teachers: an evaluation-mode batch norm after a convolution is an
// affine map per output channel, so it folds into the convolution's weights and bias, computed once:
//   s = γ / √(var + ε),  w' = w · s (per output channel),  b' = (b − mean) · s + β
//   conv: weight [O, I/groups, K, K], bias [O]; norm: weight γ, bias β, running mean, running var [O]
// The folded convolution's output equals the batch norm's output, so feature taps that read a batch
// norm's output (or a sum or concatenation built from it) see the same values.

/// A module that names the convolutions whose output goes only into the batch norm paired with it,
/// as its forward pass runs them (`bn(conv(x))`, nothing else reading `conv(x)`). Those pairs fold
/// (``Module/foldBatchNorms()``). A pair declared wrongly would change the network's function, so
/// each model declares its own; `Sequential` pairs a `Conv2d` with a `BatchNorm2d` right after it.
public protocol BatchNormFoldable: Module {
    /// This module's own pairs (children declare theirs).
    var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { get }
}

/// Why batch norms cannot be folded, or a folded module cannot run as asked.
public enum BatchNormFoldingError: Error, Equatable, CustomStringConvertible {
    /// Only frozen modules fold: this parameter still takes gradients (a network that trains).
    case trainableParameter(String)
    /// A folded module runs only in evaluation mode.
    case foldedInTraining(layer: String)
    /// A declared pair whose convolution and batch norm do not fit each other.
    case mismatchedPair(convolution: String, norm: String)

    public var description: String {
        switch self {
        case .trainableParameter(let name):
            return "batch norms fold only into frozen networks: \(name) requires gradients; freeze() the network first, "
                + "or leave a network that trains unfolded"
        case .foldedInTraining(let layer):
            return "\(layer) has its batch norm folded in (a frozen teacher) and runs only in evaluation mode; "
                + "call unfoldBatchNorms() before train()"
        case .mismatchedPair(let convolution, let norm):
            return "\(convolution) and \(norm) cannot fold: the batch norm's channels are not the convolution's output channels, "
                + "or one of them is in two pairs"
        }
    }
}

/// A convolution's weights with the batch norm after it folded in (device copies; the layer's own
/// `weight` and `bias` keep the unfolded values, which checkpoints save).
struct FoldedConvolution {
    let weight: Tensor
    let bias: Tensor
    /// The convolution's dotted name, for errors.
    let name: String
}

extension Module {
    /// Folds every declared convolution → batch norm pair (``BatchNormFoldable``) of this frozen
    /// network and switches it to evaluation mode: each convolution then runs with
    /// `w' = w·γ/√(var+ε)`, `b' = (b − mean)·γ/√(var+ε) + β` (computed here, once) and its batch norm
    /// passes its input through, so an evaluation forward pays one convolution per pair.
    ///
    /// Parameter names, `stateDict()` (the unfolded weights) and checkpoints do not change; loading a
    /// state dict into a folded network folds it again. Folding again refreshes the folded weights.
    /// A folded network refuses training mode (its forward throws); ``unfoldBatchNorms()`` undoes this.
    /// - Returns: the number of folded pairs.
    /// - Throws: ``BatchNormFoldingError/trainableParameter(_:)`` unless every parameter is frozen.
    @discardableResult
    public func foldBatchNorms() throws -> Int {
        if let trainable = namedParameters().first(where: { $0.tensor.requiresGrad }) {
            throw BatchNormFoldingError.trainableParameter(trainable.name)
        }
        let pairs = try namedConvolutionNormPairs()
        eval()
        for pair in pairs {
            pair.convolution.folded = try Self.fold(pair.convolution, pair.norm, name: pair.name)
            pair.norm.foldedInto = pair.name
        }
        return pairs.count
    }

    /// Runs every convolution and batch norm unfolded again (after ``foldBatchNorms()``).
    public func unfoldBatchNorms() {
        for module in descendants() {
            if let convolution = module as? Conv2d { convolution.folded = nil }
            if let norm = module as? BatchNorm2d { norm.foldedInto = nil }
        }
    }

    /// The number of convolutions that run with a batch norm folded in.
    public var foldedBatchNormCount: Int {
        descendants().reduce(0) { $0 + (($1 as? Conv2d)?.folded == nil ? 0 : 1) }
    }

    /// Folds again after new weights arrived, when this network is folded.
    func refreshFoldedBatchNorms() throws {
        if foldedBatchNormCount > 0 { try foldBatchNorms() }
    }

    /// This module and every module below it, depth first.
    func descendants() -> [any Module] {
        [self] + walk().compactMap { if case .child(_, let child) = $0.entry { return child } else { return nil } }
    }

    /// Every declared pair below this module, with the convolution's dotted name; each layer in one pair only.
    func namedConvolutionNormPairs() throws -> [(convolution: Conv2d, norm: BatchNorm2d, name: String)] {
        var names: [ObjectIdentifier: String] = [:]
        for (name, entry) in walk() { if case .child(_, let child) = entry { names[ObjectIdentifier(child)] = name } }
        var seen: Set<ObjectIdentifier> = []
        var pairs: [(convolution: Conv2d, norm: BatchNorm2d, name: String)] = []
        for case let module as any BatchNormFoldable in descendants() {
            for (convolution, norm) in module.convolutionNormPairs {
                let name = names[ObjectIdentifier(convolution)] ?? "a Conv2d"
                let fits = norm.weight.shape == [convolution.weight.shape[0]]
                    && seen.insert(ObjectIdentifier(convolution)).inserted && seen.insert(ObjectIdentifier(norm)).inserted
                guard fits else {
                    throw BatchNormFoldingError.mismatchedPair(convolution: name, norm: names[ObjectIdentifier(norm)] ?? "a BatchNorm2d")
                }
                pairs.append((convolution, norm, name))
            }
        }
        return pairs
    }

    /// `conv` with `norm` folded in, computed on the host in Double and rounded once.
    private static func fold(_ conv: Conv2d, _ norm: BatchNorm2d, name: String) throws -> FoldedConvolution {
        let (foldedWeight, foldedBias) = try conv.foldedValues(with: norm)
        let context = conv.weight.context
        return FoldedConvolution(weight: try Tensor(foldedWeight, shape: conv.weight.shape, context: context),
                                 bias: try Tensor(foldedBias, shape: [conv.weight.shape[0]], context: context), name: name)
    }
}

extension Conv2d {
    /// This convolution's weight `[O, I/groups, K, K]` and bias `[O]` with `norm` folded in, on the host:
    /// computed in Double and rounded once (a frozen teacher's folded weights, an exported model's `Conv`).
    func foldedValues(with norm: BatchNorm2d) throws -> (weight: [Float], bias: [Float]) {
        let weight = try self.weight.toArray()                        // [O, I/groups, K, K]
        let outputs = self.weight.shape[0], perOutput = weight.count / outputs
        let bias = try self.bias?.toArray() ?? [Float](repeating: 0, count: outputs)
        let gamma = try norm.weight.toArray(), beta = try norm.bias.toArray()
        let mean = try norm.runningMean.toArray(), variance = try norm.runningVariance.toArray()
        var foldedWeight = [Float](repeating: 0, count: weight.count), foldedBias = [Float](repeating: 0, count: outputs)
        for output in 0..<outputs {
            let scale = Double(gamma[output]) / (Double(variance[output]) + Double(norm.epsilon)).squareRoot()
            for index in output * perOutput..<(output + 1) * perOutput { foldedWeight[index] = Float(Double(weight[index]) * scale) }
            foldedBias[output] = Float((Double(bias[output]) - Double(mean[output])) * scale + Double(beta[output]))
        }
        return (foldedWeight, foldedBias)
    }

    /// The weight and bias a forward pass uses: the folded ones while folded (evaluation mode only).
    func forwardWeights() throws -> (weight: Tensor, bias: Tensor?) {
        guard let folded else { return (weight, bias) }
        guard !isTraining else { throw BatchNormFoldingError.foldedInTraining(layer: folded.name) }
        // Gradients would reach the folded copies, not the parameters.
        guard !weight.requiresGrad else { throw BatchNormFoldingError.trainableParameter(folded.name + ".weight") }
        return (folded.weight, folded.bias)
    }
}

extension BatchNorm2d {
    /// `input` itself while this norm is folded into the convolution before it; nil otherwise.
    func foldedOutput(_ input: Tensor) throws -> Tensor? {
        guard let foldedInto else { return nil }
        guard !isTraining else { throw BatchNormFoldingError.foldedInTraining(layer: "the batch norm after \(foldedInto)") }
        return input
    }
}

// Each model's pairs, read off its forward pass.

extension Sequential: BatchNormFoldable {
    /// A `Conv2d` and the `BatchNorm2d` right after it (nothing else sees a sequence's inner outputs).
    public var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] {
        zip(layers, layers.dropFirst()).compactMap { first, second in
            guard let convolution = first as? Conv2d, let norm = second as? BatchNorm2d else { return nil }
            return (convolution, norm)
        }
    }
}

extension ResNet: BatchNormFoldable {
    public var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(conv1, bn1)] }
}

extension BasicBlock: BatchNormFoldable {
    var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(conv1, bn1), (conv2, bn2)] }
}

extension ImageNetResNet: BatchNormFoldable {
    public var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(conv1, bn1)] }
}

extension ResNetBottleneck: BatchNormFoldable {
    var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(conv1, bn1), (conv2, bn2), (conv3, bn3)] }
}

/// Pre-activation blocks: `bn1` normalizes the block input (a tapped stage output), only `bn2` follows a convolution.
extension WideBlock: BatchNormFoldable {
    var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(conv1, bn2)] }
}

extension ShuffleNetV1: BatchNormFoldable {
    public var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(conv1, bn1)] }
}

extension ShuffleV1Bottleneck: BatchNormFoldable {
    var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(conv1, bn1), (conv2, bn2), (conv3, bn3)] }
}

extension ShuffleNetV2: BatchNormFoldable {
    public var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(conv1, bn1), (conv2, bn2)] }
}

extension ShuffleV2Block: BatchNormFoldable {
    var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(conv1, bn1), (conv2, bn2), (conv3, bn3)] }
}

extension ShuffleV2DownBlock: BatchNormFoldable {
    var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] {
        [(conv1, bn1), (conv2, bn2), (conv3, bn3), (conv4, bn4), (conv5, bn5)]
    }
}
