import Retort
import RetortNN

/// CA-MKD's `Embed` (`models/util.py`, with `--convs` off, the reference default): a 1×1 convolution
/// with bias (PyTorch's default initialization), batch norm and ReLU, under `transfer`
/// (`transfer.0.weight`, `transfer.1.running_mean`, …). It maps the student's resized feature map to a
/// teacher's channel count; it trains with the student and normalizes with batch statistics.
public final class FeatureEmbedding: Module {
    public let transfer: Sequential
    public var isTraining = true

    public init(_ inChannels: Int, _ outChannels: Int, context: Context, generator: inout SplitMix64) throws {
        transfer = Sequential([try Conv2d(inChannels, outChannels, kernelSize: 1, context: context, generator: &generator),
                               try BatchNorm2d(outChannels, context: context), ReLU()])
    }

    public var entries: [ModuleEntry] { [.child("transfer", transfer)] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try transfer(input) }
}

/// One ``FeatureEmbedding`` per teacher, named as the reference's `CalWeight` registers them
/// (`embed0`, `embed1`, …), so its state dict reads as the reference's.
public final class FeatureEmbeddings: Module {
    public let embeddings: [FeatureEmbedding]
    public var isTraining = true

    public init(_ embeddings: [FeatureEmbedding]) { self.embeddings = embeddings }

    public var entries: [ModuleEntry] { embeddings.enumerated().map { .child("embed\($0.offset)", $0.element) } }

    /// Not a layer of its own: it holds the embeddings, which run one by one.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        throw DistillationError.invalidConfiguration("FeatureEmbeddings holds one embedding per teacher; call embeddings[k] instead")
    }
}
