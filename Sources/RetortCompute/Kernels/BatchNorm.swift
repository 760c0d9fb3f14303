// Batch norm (2-D).
//   input, output, outputGradient, inputGradient: [N, C, H, W]
//   weight, bias, running and saved statistics and their gradients: [C]

/// Batch normalization over the channels of NCHW fp32 tensors, as PyTorch's `nn.BatchNorm2d`
/// (affine, tracking running statistics).
///
/// Tensors: `x`, `y`, their gradients: `[N, C, H, W]`; `weight` (γ), `bias` (β), running mean and
/// variance, saved mean and inverse standard deviation, and the parameter gradients: `[C]`.
///
/// - Training forward normalizes with the batch mean and biased variance over N·H·W, saves the
///   mean and `invstd = 1 / sqrt(var + eps)` for the backward pass, and updates the running
///   statistics in place: `running = (1 − momentum) · running + momentum · stat`, where the running
///   variance takes the unbiased variance (`var · n / (n − 1)`).
/// - Inference forward normalizes with the running statistics.
/// - Backward gives `dx`, `dweight = Σ dy · x̂` and `dbias = Σ dy` from `dy`, `x`, the saved
///   statistics and `weight`.
/// - Both forwards can apply a ReLU to their output in the same pass, and the backward then applies
///   the ReLU's gradient mask (from the saved output) in its own pass: BN + ReLU costs the dispatches
///   of BN alone.
///
/// Per-channel sums run in one workgroup per channel in a fixed order (no atomics): the same inputs
/// give the same bits on a device, whatever its subgroup size.
///
/// Synchronized batch norm (statistics over the batches of all data-parallel ranks, PyTorch's
/// `SyncBatchNorm`) runs the training forward and the backward each as two dispatches, ``Phase/local(_:)``
/// then ``Phase/combined(_:count:)``, and combines the ranks' per-channel values on the host in between.
///
/// Mixed precision: with `precision` fp16 or bf16, `x`, `y` and their gradients hold 16-bit values; the
/// parameters, the running and saved statistics and the parameter gradients stay fp32, and so does every
/// sum (PyTorch's autocast runs batch norm on 16-bit activations with fp32 statistics).
public struct BatchNormLauncher: Sendable {

    /// Which part of a training forward or backward one dispatch runs.
    public enum Phase: Sendable {
        /// The whole op on this batch alone.
        case whole
        /// This batch's per-channel values only, into `[2C]` values: the forward writes each channel's
        /// mean, then each channel's biased variance, and nothing else; the backward writes the parameter
        /// gradients (Σ dy and Σ dy · x̂ of this batch) and not the input gradient.
        case local(Buffer)
        /// The rest, with per-channel values combined over all ranks in `[2C]` values, `count` values per
        /// channel in all: the forward normalizes with the given means, then biased variances, saves them
        /// and updates the running statistics (the unbiased variance with `count`); the backward takes
        /// Σ dy, then Σ dy · x̂, over all ranks (in this rank's gradient scale) and writes only the input gradient.
        case combined(Buffer, count: Int)

        /// `PHASE` of the shaders.
        var constant: UInt32 {
            switch self {
            case .whole: 0
            case .local: 1
            case .combined: 2
            }
        }

        /// The `[2C]` buffer of the synchronized phases.
        var values: Buffer? {
            switch self {
            case .whole: nil
            case .local(let values), .combined(let values, _): values
            }
        }

        /// Values per channel over all ranks (the `total` push constant), 0 unless combined.
        var total: Float {
            if case .combined(_, let count) = self { Float(count) } else { 0 }
        }
    }

    /// The push constants of `batchnorm.comp`.
    ///
    /// - `N`: batch size
    /// - `C`: channels
    /// - `P`: texels per plane (H·W / floats per texel)
    /// - `eps`: ε
    /// - `momentum`: running-statistics momentum
    /// - `total`: values per channel over all ranks (``Phase/combined(_:count:)`` only)
    public struct TrainingPush: PushConstants {
        public static let count = 6
        public var N, C, P: Int
        public var eps, momentum, total: Float

        public var values: [ShaderValue] { [.count(N), .count(C), .count(P), .float(eps), .float(momentum), .float(total)] }
    }

    /// The push constants of `batchnorm_eval.comp`.
    ///
    /// - `C`: channels
    /// - `P`: texels per plane (H·W / floats per texel)
    /// - `texels`: texels in the tensor
    /// - `eps`: ε
    public struct InferencePush: PushConstants {
        public static let count = 4
        public var C, P, texels: Int
        public var eps: Float

        public var values: [ShaderValue] { [.count(C), .count(P), .count(texels), .float(eps)] }
    }

    /// The push constants of `batchnorm_backward.comp`.
    ///
    /// - `N`: batch size
    /// - `C`: channels
    /// - `P`: texels per plane (H·W / floats per texel)
    /// - `total`: values per channel over all ranks (``Phase/combined(_:count:)`` only)
    public struct BackwardPush: PushConstants {
        public static let count = 4
        public var N, C, P: Int
        public var total: Float

        public var values: [ShaderValue] { [.count(N), .count(C), .count(P), .float(total)] }
    }
    /// PyTorch's default `eps`.
    public static let defaultEpsilon: Float = 1e-5
    /// PyTorch's default `momentum`.
    public static let defaultMomentum: Float = 0.1

    /// The kernels of one shader, by the tensor's texel width (1 float, or 4 when H·W is a multiple of
    /// 4) and whether the ReLU is fused; built on first use and cached by the device.
    private struct Variants: Sendable {
        let device: Device
        let shader: Shader
        let tensors: Int, vectors: Int
        let storage: [Kernel.Access]
        let pushCount: Int
        let localSize: UInt32
        let constants: @Sendable (_ floatsPerTexel: UInt32, _ relu: Bool, _ phase: UInt32) -> [ShaderValue]

        /// `tensors` leading texel bindings read the tensor (1 or 4 floats per texel), `vectors` more
        /// read `[C]` vectors (1 float per texel), then the storage bindings.
        init<P: PushConstants, C: SpecializationConstants>(device: Device, shader: Shader, tensors: Int, vectors: Int,
                                                           storage: [Kernel.Access], pushConstants: P.Type, localSize: UInt32,
                                                           constants: @escaping @Sendable (_ floatsPerTexel: UInt32, _ relu: Bool,
                                                                                           _ phase: UInt32) -> C) {
            (self.device, self.shader, self.pushCount, self.localSize) = (device, shader, P.count, localSize)
            (self.tensors, self.vectors, self.storage) = (tensors, vectors, storage)
            self.constants = { constants($0, $1, $2).values }
        }

        func callAsFunction(_ shape: Shape, relu: Bool, phase: Phase = .whole) throws -> Kernel {
            let bindings = Array(repeating: Kernel.Binding.texel(.values(shape.precision, vector: shape.vectorized)), count: tensors)
                + Array(repeating: Kernel.Binding.texel(.r32f), count: vectors) + storage.map { Kernel.Binding.storage($0) }
            return try device.kernel(shader, bindings: bindings, pushConstants: pushCount, localSize: [localSize, 1, 1],
                                     constants: constants(UInt32(shape.floatsPerTexel), relu, phase.constant), precision: shape.precision)
        }
    }

    /// The specialization constants of `batchnorm.comp` and `batchnorm_backward.comp`.
    ///
    /// - `vec`: constant_id 3: `VEC`: floats per texel, 1 or 4 (H·W divisible by 4)
    /// - `relu`: constant_id 4: `RELU`: the forward applies a ReLU after the normalization; the backward
    ///   masks the output gradient with the forward's output first
    /// - `phase`: constant_id 5: `PHASE`: 0 the whole op, 1 and 2 the halves of a synchronized one (``Phase``)
    public struct ChannelSpecialization: SpecializationConstants {
        public var vec: UInt32
        public var relu: Bool
        public var phase: UInt32

        public var values: [ShaderValue] { [.uint(vec), .bool(relu), .uint(phase)] }
    }

    /// The specialization constants of `batchnorm_eval.comp`.
    ///
    /// - `vec`: constant_id 3: `VEC`: floats per texel, 1 or 4 (H·W divisible by 4)
    /// - `run`: constant_id 4: `RUN`: texels per invocation
    /// - `relu`: constant_id 5: `RELU`: apply a ReLU after the normalization
    public struct InferenceSpecialization: SpecializationConstants {
        public var vec: UInt32
        public var run: Int
        public var relu: Bool

        public var values: [ShaderValue] { [.uint(vec), .count(run), .bool(relu)] }
    }

    private let training: Variants
    private let inference: Variants
    private let backward: Variants
    /// Invocations per channel workgroup.
    private let channelLanes: UInt32
    private static let inferenceRun = 4

    /// Prepares the launcher; its kernels are built (and cached by `device`) on first use.
    public init(device: Device) throws {
        // KernelChoice.batchNormLanes: 8 on lavapipe (one SIMD step of lanes with long loops measured
        // ~1.5× cheaper than 64 lanes), 256 on GPUs.
        channelLanes = UInt32(device.kernelChoice.batchNormLanes)
        training = Variants(device: device, shader: .batchnorm, tensors: 1, vectors: 2,
                            storage: [.write, .write, .write, .readWrite, .readWrite, .readWrite], pushConstants: TrainingPush.self,
                            localSize: channelLanes, constants: ChannelSpecialization.init)
        inference = Variants(device: device, shader: .batchnormEval, tensors: 1, vectors: 4, storage: [.write],
                             pushConstants: InferencePush.self, localSize: 64,
                             constants: { vec, relu, _ in InferenceSpecialization(vec: vec, run: Self.inferenceRun, relu: relu) })
        backward = Variants(device: device, shader: .batchnormBackward, tensors: 3, vectors: 3,
                            storage: [.write, .write, .write, .read], pushConstants: BackwardPush.self, localSize: channelLanes,
                            constants: ChannelSpecialization.init)
    }

    // MARK: Forward

    /// Records the training-mode forward pass: `output = (input − mean) · invstd · weight + bias` with
    /// the batch statistics of each channel, which are written to `savedMean` and `savedInvstd` and
    /// folded into `runningMean` and `runningVariance` (updated in place). With `relu`, the same pass
    /// stores `max(output, 0)` (NaN stays NaN, as PyTorch's ReLU). `phase` runs one half of a
    /// synchronized batch norm instead (``Phase``). `input` and `output` hold `precision` values.
    ///
    /// - Throws: `VulkanError.invalidArgument` when a dimension is not positive, a channel holds a
    ///   single value (N·H·W = 1, as PyTorch refuses; over all ranks when synchronized), or a buffer is
    ///   too small for the shape.
    public func encodeTrainingForward(into stream: CommandStream, input: Buffer, weight: Buffer, bias: Buffer,
                                      runningMean: Buffer, runningVariance: Buffer, output: Buffer,
                                      savedMean: Buffer, savedInvstd: Buffer,
                                      batch: Int, channels: Int, height: Int, width: Int,
                                      epsilon: Float = defaultEpsilon, momentum: Float = defaultMomentum, relu: Bool = false,
                                      phase: Phase = .whole, precision: Precision = .float32) throws {
        let shape = try Shape(batch: batch, channels: channels, height: height, width: width, operation: "training forward",
                              precision: precision)
        let values: Int
        switch phase {
        case .whole: values = shape.valuesPerChannel
        case .local: values = Int.max
        case .combined(_, let count): values = count
        }
        guard values > 1 else {
            throw VulkanError.invalidArgument("BatchNorm training forward on \(shape): each channel holds one value (N·H·W = 1); batch statistics need more than one.")
        }
        try shape.require(stream.device, channelGroups: true)
        try shape.requireTensors([("input", input), ("output", output)])
        try shape.requireChannelVectors([("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVariance", runningVariance),
                                         ("savedMean", savedMean), ("savedInvstd", savedInvstd)])
        try shape.requirePhaseValues(phase)
        guard epsilon >= 0, epsilon.isFinite, momentum.isFinite else {
            throw VulkanError.invalidArgument("BatchNorm training forward on \(shape): epsilon (\(epsilon)) must be finite and ≥ 0, momentum (\(momentum)) finite.")
        }
        try stream.dispatch(training(shape, relu: relu, phase: phase),
                            [input, weight, bias, output, savedMean, savedInvstd, runningMean, runningVariance, phase.values ?? savedMean],
                            push: TrainingPush(N: batch, C: channels, P: shape.texelsPerPlane, eps: epsilon, momentum: momentum,
                                               total: phase.total),
                            groups: (channels, 1, 1))
    }

    /// Records the inference-mode forward pass:
    /// `output = (input − runningMean) · weight / sqrt(runningVariance + epsilon) + bias`, and with
    /// `relu` then `max(output, 0)` in the same pass. `input` and `output` hold `precision` values.
    ///
    /// - Throws: `VulkanError.invalidArgument` when a dimension is not positive or a buffer is too
    ///   small for the shape.
    public func encodeInferenceForward(into stream: CommandStream, input: Buffer, weight: Buffer, bias: Buffer,
                                       runningMean: Buffer, runningVariance: Buffer, output: Buffer,
                                       batch: Int, channels: Int, height: Int, width: Int,
                                       epsilon: Float = defaultEpsilon, relu: Bool = false, precision: Precision = .float32) throws {
        let shape = try Shape(batch: batch, channels: channels, height: height, width: width, operation: "inference forward",
                              precision: precision)
        try shape.require(stream.device, channelGroups: false)
        try shape.requireTensors([("input", input), ("output", output)])
        try shape.requireChannelVectors([("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVariance", runningVariance)])
        guard epsilon >= 0, epsilon.isFinite else {
            throw VulkanError.invalidArgument("BatchNorm inference forward on \(shape): epsilon (\(epsilon)) must be finite and ≥ 0.")
        }
        let kernel = try inference(shape, relu: relu)
        let texels = shape.count / shape.floatsPerTexel
        let invocations = (texels + Self.inferenceRun - 1) / Self.inferenceRun
        try stream.dispatch(kernel, [input, weight, bias, runningMean, runningVariance, output],
                            push: InferencePush(C: channels, P: shape.texelsPerPlane, texels: texels, eps: epsilon),
                            groups: kernel.linearGroups(covering: invocations))
    }

    // MARK: Backward

    /// Records the backward pass of ``encodeTrainingForward(into:input:weight:bias:runningMean:runningVariance:output:savedMean:savedInvstd:batch:channels:height:width:epsilon:momentum:)``:
    /// with `x̂ = (input − savedMean) · savedInvstd` and sums over N·H·W of each channel,
    /// `biasGradient = Σ dy`, `weightGradient = Σ dy · x̂` and
    /// `inputGradient = weight · invstd / n · (n · dy − Σ dy − x̂ · Σ dy · x̂)`.
    /// When the forward fused a ReLU, pass its output as `reluOutput`: `dy` is first zeroed where
    /// `reluOutput ≤ 0` (PyTorch's ReLU backward; a NaN passes), in the same dispatch.
    /// The gradients are overwritten, not accumulated. `phase` runs one half of a synchronized batch
    /// norm's backward instead (``Phase``): `.local` writes the parameter gradients only, `.combined`
    /// the input gradient only, with `n` the count over all ranks and the sums combined over them.
    /// `outputGradient`, `input`, `reluOutput` and `inputGradient` hold `precision` values.
    ///
    /// - Throws: `VulkanError.invalidArgument` when a dimension is not positive or a buffer is too
    ///   small for the shape.
    public func encodeBackward(into stream: CommandStream, outputGradient: Buffer, input: Buffer, reluOutput: Buffer? = nil,
                               savedMean: Buffer, savedInvstd: Buffer, weight: Buffer,
                               inputGradient: Buffer, weightGradient: Buffer, biasGradient: Buffer,
                               batch: Int, channels: Int, height: Int, width: Int, phase: Phase = .whole,
                               precision: Precision = .float32) throws {
        let shape = try Shape(batch: batch, channels: channels, height: height, width: width, operation: "backward",
                              precision: precision)
        try shape.require(stream.device, channelGroups: true)
        try shape.requireTensors([("outputGradient", outputGradient), ("input", input), ("inputGradient", inputGradient)]
                                 + (reluOutput.map { [("reluOutput", $0)] } ?? []))
        try shape.requireChannelVectors([("savedMean", savedMean), ("savedInvstd", savedInvstd), ("weight", weight),
                                         ("weightGradient", weightGradient), ("biasGradient", biasGradient)])
        try shape.requirePhaseValues(phase)
        try stream.dispatch(backward(shape, relu: reluOutput != nil, phase: phase),
                            [outputGradient, input, reluOutput ?? outputGradient, savedMean, savedInvstd, weight,
                             inputGradient, weightGradient, biasGradient, phase.values ?? weight],
                            push: BackwardPush(N: batch, C: channels, P: shape.texelsPerPlane, total: phase.total),
                            groups: (channels, 1, 1))
    }
}

extension BatchNormLauncher {
    /// An `[N, C, H, W]` shape, checked, with how the kernels view it.
    fileprivate struct Shape: CustomStringConvertible {
        let batch, channels, height, width: Int
        let operation: String
        /// How the `[N, C, H, W]` tensors are stored.
        let precision: Precision

        init(batch: Int, channels: Int, height: Int, width: Int, operation: String, precision: Precision) throws {
            (self.batch, self.channels, self.height, self.width, self.operation) = (batch, channels, height, width, operation)
            self.precision = precision
            guard batch > 0, channels > 0, height > 0, width > 0 else {
                throw VulkanError.invalidArgument("BatchNorm \(operation) needs positive dimensions, got x: \(self).")
            }
            let count = [batch, channels, height, width].reduce(1) { product, dimension in
                let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
                return overflow || next >= Int(Int32.max) ? Int.max : next
            }
            guard count < Int(Int32.max) else {
                throw VulkanError.invalidArgument("BatchNorm \(operation): x: \(self) has 2³¹ or more values; split the batch.")
            }
        }

        var description: String { "[\(batch), \(channels), \(height), \(width)]" }
        var count: Int { batch * channels * height * width }
        var valuesPerChannel: Int { batch * height * width }
        /// Planes of 4-float texels when H·W allows it (the faster read path on lavapipe).
        var vectorized: Bool { (height * width) % 4 == 0 }
        var floatsPerTexel: Int { vectorized ? 4 : 1 }
        var texelsPerPlane: Int { height * width / floatsPerTexel }

        func require(_ device: Device, channelGroups: Bool) throws {
            let limit = Int(device.context.limits.maxComputeWorkGroupCount.0)
            guard !channelGroups || channels <= limit else {
                throw VulkanError.invalidArgument("BatchNorm \(operation) on x: \(description): \(channels) channels exceed the device's \(limit) workgroups per dispatch.")
            }
        }

        func requireTensors(_ buffers: [(String, Buffer)]) throws {
            try require(buffers, floats: count, what: "x: \(description)", precision: precision)
        }

        func requireChannelVectors(_ buffers: [(String, Buffer)]) throws {
            try require(buffers, floats: channels, what: "[\(channels)]")
        }

        /// The `[2C]` values of a synchronized phase, and a count no smaller than this batch's.
        func requirePhaseValues(_ phase: Phase) throws {
            guard let values = phase.values else { return }
            try require([("the synchronized values", values)], floats: 2 * channels, what: "[2·\(channels)]")
            if case .combined(_, let count) = phase, count < valuesPerChannel || count >= 1 << 24 {
                throw VulkanError.invalidArgument("BatchNorm \(operation) on x: \(description): the count over all ranks "
                                                  + "(\(count)) must be at least this batch's \(valuesPerChannel) values per channel "
                                                  + "and below 2²⁴.")
            }
        }

        private func require(_ buffers: [(String, Buffer)], floats: Int, what: String, precision: Precision = .float32) throws {
            let size = precision.byteCount
            for (name, buffer) in buffers where buffer.byteCount < floats * size {
                throw VulkanError.invalidArgument("BatchNorm \(operation) on x: \(description): \(name) must hold \(what) = \(floats) \(precision) values but its buffer holds \(buffer.byteCount / size).")
            }
        }
    }
}
