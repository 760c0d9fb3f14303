import Retort
import RetortDistributed

/// Per-channel batch normalization of [N, C, H, W] (PyTorch's `nn.BatchNorm2d`): batch statistics and
/// a running-statistics update in training mode, running statistics in evaluation mode.
public final class BatchNorm2d: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor
    public let runningVariance: Tensor
    /// PyTorch's `num_batches_tracked` (an int64 in checkpoints).
    public let batchesTracked = IntegerBuffer()
    public let momentum: Float
    public let epsilon: Float
    public var isTraining = true
    /// The data-parallel ranks whose batches this norm's training-mode statistics cover together
    /// (PyTorch's `SyncBatchNorm`; see ``Module/synchronizeBatchNorms(over:)``); nil: this process's batch alone.
    public var synchronization: (any ProcessGroup)?
    /// The convolution this norm is folded into, in a folded teacher (`foldBatchNorms()`); it then passes its input through.
    var foldedInto: String?

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, context: Context) throws {
        weight = try Tensor.full(1, shape: [channels], context: context, requiresGrad: true)
        bias = try Tensor.zeros(shape: [channels], context: context, requiresGrad: true)
        runningMean = try Tensor.zeros(shape: [channels], context: context)
        runningVariance = try Tensor.full(1, shape: [channels], context: context)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var entries: [ModuleEntry] {
        [.parameter("weight", weight), .parameter("bias", bias), .buffer("running_mean", runningMean),
         .buffer("running_var", runningVariance), .integerBuffer("num_batches_tracked", batchesTracked)]
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor { try callAsFunction(input, activation: .identity) }

    /// The batch norm followed by `activation` in the same kernels: `bn(x, activation: .relu)` gives
    /// `bn(x).relu()` (the pattern conv – BN – ReLU of most models) at the cost of `bn(x)`. Folded into
    /// its convolution (a frozen teacher), it applies only the activation.
    public func callAsFunction(_ input: Tensor, activation: Tensor.Activation) throws -> Tensor {
        if let folded = try foldedOutput(input) { return activation == .relu ? try folded.relu() : folded }
        if isTraining { batchesTracked.value += 1 }
        return try input.batchNorm(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                                   training: isTraining, momentum: momentum, epsilon: epsilon, activation: activation,
                                   synchronizedOver: synchronization)
    }
}
