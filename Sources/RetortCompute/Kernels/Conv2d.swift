// Conv2d.
//   x: [N, C, H, W]; w: [K, C / groups, KH, KW]; b: [K]; y: [N, K, OH, OW]

/// 2-D convolution of NCHW tensors (PyTorch's `nn.Conv2d`): forward, backward data and
/// backward filter, with stride, zero padding, dilation, groups (depthwise included) and an
/// optional bias.
///
/// Every tensor (x, w, b, y and their gradients) holds values of ``Parameters/precision``: fp32, or
/// fp16/bf16 for mixed-precision training, where the kernels' 16-bit variants widen each value on load,
/// accumulate in fp32 (the weight gradient's partial sums too) and round each result once on store.
/// 16-bit convolutions always run the direct kernels (no Winograd).
///
/// - x: `[N, C, H, W]`, w: `[K, C / groups, KH, KW]`, b: `[K]`, y: `[N, K, OH, OW]` with
///   `OH = (H + 2·padding − dilation·(KH − 1) − 1) / stride + 1` (floor; likewise `OW`).
///
/// The kernels are implicit GEMMs (no im2col buffer): every invocation keeps a block of outputs in
/// registers (8 channels × 16 columns for most layers) and reads its operands through texel buffers,
/// with no shared memory and no barriers (both are slow on lavapipe). The window geometry (kernel
/// size, stride, padding, dilation) and the block sizes are specialization constants chosen from the
/// ``Parameters`` and the device, so a `Conv2d` builds its pipelines for one parameter set; the
/// device caches pipelines, so another `Conv2d` with equal parameters, or parameters that differ
/// only in the batch size, reuses them.
///
/// Forward and backward data first repack the weights (one small dispatch into a workspace) so that
/// the weights of a block's channels for one tap are adjacent and come four per fetch. 1×1
/// convolutions go through the same kernels (16-channel blocks); at stride 2 backward data spends no
/// work on taps that do not exist. Depthwise convolutions use blocks of rows instead of channels.
///
/// The weight gradient is a reduction over `N · OH · OW`; it sums in a fixed order without atomics,
/// so the same inputs give the same bits. When the output channels × input channels are too few to
/// keep the device busy, the rows are split into ranges whose partial sums go to a workspace buffer
/// and are added in split order by a second pass.
///
/// Workspaces: each `encode…` method takes an optional scratch buffer (see the `…WorkspaceByteCount`
/// properties); without one it allocates a buffer for the call, which the stream keeps alive until
/// the batch has run.
///
/// ```swift
/// let conv = try Conv2d(device: device, parameters: .init(batch: 8, inChannels: 3, outChannels: 16,
///                                                         height: 32, width: 32, kernelSize: 3, padding: 1))
/// try conv.encodeForward(into: stream, input: x, weight: w, bias: b, output: y)
/// try conv.encodeBackwardData(into: stream, outputGradient: dy, weight: w, inputGradient: dx)
/// try conv.encodeBackwardFilter(into: stream, input: x, outputGradient: dy, weightGradient: dw, biasGradient: db)
/// ```
public struct Conv2dLauncher: Sendable {
    /// Shape and hyper-parameters of a convolution, as in `torch.nn.Conv2d` (plus the batch and
    /// image size).
    public struct Parameters: Sendable, Hashable, CustomStringConvertible {
        public var batch: Int
        public var inChannels: Int
        public var outChannels: Int
        public var height: Int
        public var width: Int
        public var kernelHeight: Int
        public var kernelWidth: Int
        public var strideHeight: Int
        public var strideWidth: Int
        public var paddingHeight: Int
        public var paddingWidth: Int
        public var dilationHeight: Int
        public var dilationWidth: Int
        public var groups: Int
        /// Whether the convolution adds a per-output-channel bias.
        public var hasBias: Bool
        /// How x, w, b, y and their gradients are stored (fp32 unless mixed precision asks for 16 bits).
        public var precision: Precision

        /// A convolution with a square kernel and the same stride, padding and dilation along both axes.
        public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernelSize: Int,
                    stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                    precision: Precision = .float32) {
            self.init(batch: batch, inChannels: inChannels, outChannels: outChannels, height: height, width: width,
                      kernelHeight: kernelSize, kernelWidth: kernelSize, strideHeight: stride, strideWidth: stride,
                      paddingHeight: padding, paddingWidth: padding, dilationHeight: dilation, dilationWidth: dilation,
                      groups: groups, bias: bias, precision: precision)
        }

        /// A convolution with every size given per axis.
        public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
                    kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
                    paddingHeight: Int = 0, paddingWidth: Int = 0, dilationHeight: Int = 1, dilationWidth: Int = 1,
                    groups: Int = 1, bias: Bool = true, precision: Precision = .float32) {
            self.batch = batch
            self.inChannels = inChannels
            self.outChannels = outChannels
            self.height = height
            self.width = width
            self.kernelHeight = kernelHeight
            self.kernelWidth = kernelWidth
            self.strideHeight = strideHeight
            self.strideWidth = strideWidth
            self.paddingHeight = paddingHeight
            self.paddingWidth = paddingWidth
            self.dilationHeight = dilationHeight
            self.dilationWidth = dilationWidth
            self.groups = groups
            hasBias = bias
            self.precision = precision
        }

        /// Output height, as PyTorch computes it (≤ 0 when the kernel does not fit).
        public var outputHeight: Int {
            Self.outputSize(height, kernel: kernelHeight, stride: strideHeight, padding: paddingHeight, dilation: dilationHeight)
        }
        /// Output width, as PyTorch computes it (≤ 0 when the kernel does not fit).
        public var outputWidth: Int {
            Self.outputSize(width, kernel: kernelWidth, stride: strideWidth, padding: paddingWidth, dilation: dilationWidth)
        }

        /// `[N, C, H, W]`.
        public var inputShape: [Int] { [batch, inChannels, height, width] }
        /// `[K, C / groups, KH, KW]`.
        public var weightShape: [Int] { [outChannels, inChannels / max(groups, 1), kernelHeight, kernelWidth] }
        /// `[N, K, OH, OW]`.
        public var outputShape: [Int] { [batch, outChannels, outputHeight, outputWidth] }

        /// Floating-point operations of one pass (forward, backward data or backward filter):
        /// `2 · N · K · OH · OW · (C / groups) · KH · KW`.
        public var flopCount: Double {
            2 * Double(batch * outChannels) * Double(outputHeight * outputWidth) * Double(inChannels / max(groups, 1) * kernelHeight * kernelWidth)
        }

        /// 1×1, stride 1, no padding, one group: a matrix product per image.
        public var isPointwise: Bool {
            kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1 && paddingHeight == 0
                && paddingWidth == 0 && groups == 1
        }

        public var description: String {
            "conv2d x\(inputShape) w\(weightShape) → y[\(batch), \(outChannels), \(outputHeight), \(outputWidth)] "
                + "stride (\(strideHeight), \(strideWidth)) padding (\(paddingHeight), \(paddingWidth)) "
                + "dilation (\(dilationHeight), \(dilationWidth)) groups \(groups)\(hasBias ? " bias" : "")"
                + (precision.isReduced ? " \(precision)" : "")
        }

        /// Throws ``VulkanError/invalidArgument(_:)`` naming the problem when the parameters do not
        /// describe a valid convolution.
        public func validate() throws {
            func fail(_ reason: String) -> VulkanError { .invalidArgument("\(self): \(reason)") }
            let sizes = [("batch", batch), ("inChannels", inChannels), ("outChannels", outChannels), ("height", height),
                         ("width", width), ("kernelHeight", kernelHeight), ("kernelWidth", kernelWidth),
                         ("strideHeight", strideHeight), ("strideWidth", strideWidth), ("dilationHeight", dilationHeight),
                         ("dilationWidth", dilationWidth), ("groups", groups)]
            for (name, value) in sizes where value <= 0 { throw fail("\(name) must be positive, got \(value).") }
            guard paddingHeight >= 0, paddingWidth >= 0 else { throw fail("padding must not be negative.") }
            guard inChannels % groups == 0, outChannels % groups == 0 else {
                throw fail("inChannels (\(inChannels)) and outChannels (\(outChannels)) must both be divisible by groups (\(groups)).")
            }
            guard outputHeight > 0, outputWidth > 0 else {
                throw fail("the \(kernelHeight)×\(kernelWidth) kernel (dilation \(dilationHeight)×\(dilationWidth)) does not fit the padded \(height)×\(width) input.")
            }
            // The kernels index with 32-bit integers and unroll the window: keep both in range.
            let limit = Int(Int32.max)
            for (name, count) in [("input", batch * inChannels * height * width), ("output", batch * outChannels * outputHeight * outputWidth),
                                  ("weight", outChannels * (inChannels / groups) * kernelHeight * kernelWidth)] where count > limit {
                throw fail("the \(name) has \(count) elements; at most \(limit) are supported.")
            }
            guard kernelHeight * kernelWidth <= 64, max(strideHeight, strideWidth, dilationHeight, dilationWidth) <= 16,
                  max(paddingHeight, paddingWidth) <= 64 else {
                throw fail("kernels up to 64 taps, strides and dilations up to 16 and padding up to 64 are supported.")
            }
        }

        static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
            let span = size + 2 * padding - dilation * (kernel - 1) - 1
            guard span >= 0, stride > 0 else { return 0 }
            return span / stride + 1
        }
    }

    /// The convolution this launcher was built for.
    public let parameters: Parameters
    private let device: Device
    private let plan: Plan
    private let forward: Kernel
    private let packForward: Kernel?
    private let backwardData: Kernel
    private let packBackwardData: Kernel?
    private let backwardFilter: Kernel
    private let reducePartials: Kernel
    private let biasGradient: Kernel?
    /// Rounds the fp32 weight gradient of a 16-bit convolution to its precision (nil for fp32).
    private let narrow: CastLauncher?
    /// Pointwise convolutions (1×1, stride 1, no padding, one group) as batched matrix products:
    /// per image, Y [K, H·W] = W [K, C] · X [C, H·W]. Used on GPUs; on lavapipe the convolution
    /// kernels measured faster for these shapes (e.g. 64→128 at 32×32: 45 vs 36 GFLOP/s forward).
    private let pointwise: MatMulLauncher?
    /// The Winograd pipelines, when ``algorithm`` is ``Algorithm/winograd``.
    private let winograd: Winograd?
    /// How this launcher computes its backward passes and inference forwards (pointwise convolutions on
    /// GPUs aside, which are matrix products).
    public let algorithm: Algorithm
    /// How it computes a forward pass whose result will be differentiated (``encodeForward(into:input:weight:bias:output:workspace:scratch:inference:)``
    /// with `inference: false`): the direct kernels unless Winograd was asked for. F(4×4, 3×3) rounds
    /// differently enough (about 2e-6 of the output scale, against 1e-7) that a train-mode batch norm
    /// after it flips ReLU masks of near-zero activations, and the step's updates leave PyTorch's by up
    /// to 0.4 % (the parity fixtures' bound is 0.1 %); the backward passes do not show it.
    public let trainingForwardAlgorithm: Algorithm

    /// Block sizes and grid shapes chosen for the parameters and the device.
    struct Plan: Sendable {
        /// Invocations per workgroup (along x).
        var lanes: Int
        /// Channels × columns of the register block, the RGBA32F image path, and whether the weights
        /// are repacked so a tap's channels are adjacent (needs channels % 4 == 0).
        var forwardChannels: Int, forwardRows: Int, forwardColumns: Int, forwardVectorRows: Bool, forwardPacked: Bool
        var dataChannels: Int, dataRows: Int, dataColumns: Int, dataVectorRows: Bool, dataPacked: Bool
        var filterChannels: Int, filterRows: Int, filterColumns: Int, filterVectorRows: Bool, filterVectorGradient: Bool
        var filterLanesOverInputChannels: Bool, filterInputChannels: Int
        var filterSplits: Int, filterRowsPerSplit: Int
        var biasVector: Bool
    }

    /// Builds the pipelines for `parameters` (validated first).
    /// - Parameters:
    ///   - pointwiseAsGEMM: route pointwise convolutions through ``MatMulLauncher``; by default as
    ///     ``KernelChoice/pointwiseConvolutionAsGEMM`` says (every device but lavapipe).
    ///   - algorithm: the algorithm of every pass; by default the one `RETORT_CONV` names (see
    ///     ``Algorithm/environmentKey``; Winograd only where ``supportsWinograd(_:)``), else the measured rule
    ///     for the backward passes and inference forwards, with training forwards direct (see
    ///     ``trainingForwardAlgorithm``). Asking for ``Algorithm/winograd`` where it does not apply throws.
    public init(device: Device, parameters prm: Parameters, pointwiseAsGEMM: Bool? = nil, algorithm: Algorithm? = nil) throws {
        try prm.validate()
        if algorithm == .winograd, !Self.supportsWinograd(prm) {
            throw VulkanError.invalidArgument("\(prm): Winograd computes fp32 3×3 convolutions with stride 1, dilation 1, one group "
                                              + "and padding 0–2 only; use the direct algorithm.")
        }
        let forced = try (algorithm ?? Algorithm.forced()).map { $0 == .winograd && !Self.supportsWinograd(prm) ? .direct : $0 }
        let chosen = forced ?? Self.automaticAlgorithm(for: prm, device: device)
        self.algorithm = chosen
        trainingForwardAlgorithm = forced ?? .direct
        winograd = chosen == .winograd ? try Winograd(device: device, parameters: prm) : nil
        self.device = device
        parameters = prm
        let plan = Self.plan(for: prm, device: device)
        self.plan = plan
        let local: [UInt32] = [UInt32(plan.lanes), 1, 1]
        let precision = prm.precision
        func texel(_ vector: Bool) -> Kernel.Binding { .texel(.values(precision, vector: vector)) }
        func constants(_ channels: Int, _ columns: Int, vectorRows: Bool, variant: UInt32, operandFlag: Bool, rows: Int? = nil,
                       inputChannels: Int? = nil) -> Specialization {
            Self.constants(prm, channels: channels, columns: columns, vectorRows: vectorRows, variant: variant, operandFlag: operandFlag,
                           rows: rows, inputChannels: inputChannels)
        }
        func pack(_ variant: UInt32, channels: Int) throws -> Kernel {
            try device.kernel(.conv2d, bindings: [texel(false), texel(false), texel(false), .storage(.write)],
                              pushConstants: Push.self, localSize: [256, 1, 1],
                              constants: constants(channels, 4, vectorRows: false, variant: variant, operandFlag: false),
                              precision: precision)
        }

        // conv2d.comp: 15 = PACKED_W, 16 = TR.
        forward = try device.kernel(.conv2d,
                                    bindings: [texel(plan.forwardVectorRows), texel(plan.forwardPacked), texel(false), .storage(.write)],
                                    pushConstants: Push.self, localSize: local,
                                    constants: constants(plan.forwardChannels, plan.forwardColumns, vectorRows: plan.forwardVectorRows,
                                                         variant: prm.hasBias ? 1 : 0, operandFlag: plan.forwardPacked,
                                                         rows: plan.forwardRows), precision: precision)
        packForward = plan.forwardPacked ? try pack(2, channels: plan.forwardChannels) : nil
        // conv2d_backward_data.comp: 15 = PACKED_W, 16 = TR.
        backwardData = try device.kernel(.conv2dBackwardData,
                                         bindings: [texel(plan.dataVectorRows), texel(plan.dataPacked), .storage(.write)],
                                         pushConstants: Push.self, localSize: local,
                                         constants: constants(plan.dataChannels, plan.dataColumns, vectorRows: plan.dataVectorRows,
                                                              variant: 0, operandFlag: plan.dataPacked, rows: plan.dataRows),
                                         precision: precision)
        packBackwardData = plan.dataPacked ? try pack(3, channels: plan.dataChannels) : nil
        // conv2d_backward_filter.comp: 15 = VEC_DY, 16 = TR, 17 = TC.
        backwardFilter = try device.kernel(.conv2dBackwardFilter,
                                           bindings: [texel(plan.filterVectorRows), texel(plan.filterVectorGradient), .storage(.write)],
                                           pushConstants: Push.self, localSize: local,
                                           constants: constants(plan.filterChannels, plan.filterColumns, vectorRows: plan.filterVectorRows,
                                                                variant: plan.filterLanesOverInputChannels ? 0 : 1,
                                                                operandFlag: plan.filterVectorGradient, rows: plan.filterRows,
                                                                inputChannels: plan.filterInputChannels),
                                           precision: precision)
        // The reduction and bias passes do not depend on the geometry: a 1×1 one, so that every
        // convolution shares these two pipelines. The reduction sums fp32 partials in every precision.
        let unit = Parameters(batch: 1, inChannels: 1, outChannels: 1, height: 1, width: 1, kernelSize: 1)
        reducePartials = try device.kernel(.conv2dBackwardFilter, bindings: [.texel(.r32f), .texel(.r32f), .storage(.write)],
                                           pushConstants: Push.self, localSize: [256, 1, 1],
                                           constants: Self.constants(unit, channels: 1, columns: 4, vectorRows: false, variant: 2,
                                                                     operandFlag: false))
        biasGradient = prm.hasBias
            ? try device.kernel(.conv2dBackwardFilter, bindings: [texel(false), texel(plan.biasVector), .storage(.write)],
                                pushConstants: Push.self, localSize: local,
                                constants: Self.constants(unit, channels: 1, columns: 4, vectorRows: false, variant: 3,
                                                          operandFlag: plan.biasVector), precision: precision)
            : nil
        narrow = precision.isReduced ? CastLauncher(device: device) : nil
        let pointwiseRoute = pointwiseAsGEMM ?? device.kernelChoice.pointwiseConvolutionAsGEMM
        pointwise = prm.isPointwise && pointwiseRoute ? try MatMulLauncher(device: device) : nil
    }

    // MARK: Forward

    /// Bytes of scratch memory ``encodeForward(into:input:weight:bias:output:workspace:)`` needs for
    /// repacked weights (0 when it reads them as they are).
    public var forwardWorkspaceByteCount: Int {
        plan.forwardPacked ? packedCount(channels: parameters.outChannels, block: plan.forwardChannels) * parameters.precision.byteCount : 0
    }

    /// Records `output = conv2d(input, weight) + bias`.
    ///
    /// - Parameters:
    ///   - input: x, `[N, C, H, W]`.
    ///   - weight: w, `[K, C / groups, KH, KW]`.
    ///   - bias: b, `[K]`; required exactly when ``Parameters/hasBias`` is true.
    ///   - output: y, `[N, K, OH, OW]` (overwritten).
    ///   - workspace: scratch of at least ``forwardWorkspaceByteCount`` bytes; when nil and one is
    ///     needed, a buffer is allocated for this call.
    ///   - scratch: reusable scratch for the Winograd temporaries; when nil they are allocated for this call.
    ///   - inference: the output will not be differentiated (a frozen teacher, evaluation): computed with
    ///     ``algorithm``; otherwise with ``trainingForwardAlgorithm``.
    public func encodeForward(into stream: CommandStream, input: Buffer, weight: Buffer, bias: Buffer?, output: Buffer,
                              workspace: Buffer? = nil, scratch: Workspace? = nil, inference: Bool = false) throws {
        let prm = parameters
        try checkBias(bias, role: "bias")
        try check([("input", input, prm.inputShape), ("weight", weight, prm.weightShape), ("output", output, prm.outputShape)]
                  + (bias.map { [("bias", $0, [prm.outChannels])] } ?? []))
        if let pointwise {
            let (k, c, pixels) = (prm.outChannels, prm.inChannels, prm.height * prm.width)
            try pointwise.encode(into: stream, a: weight, b: input, c: output,
                                 shape: .init(m: k, n: pixels, k: c, batch: prm.batch, strideA: 0, strideB: c * pixels,
                                              strideC: k * pixels),
                                 bias: bias.map { .perRow($0) } ?? .none, precision: prm.precision)
            return
        }
        if let winograd, inference || trainingForwardAlgorithm == .winograd {
            return try winograd.encodeForward(stream, input: input, weight: weight, bias: bias, output: output, workspace: scratch)
        }
        let blocksY = ceilDiv(prm.outChannels / prm.groups, plan.forwardChannels)
        let weights = try packedWeights(weight, kernel: packForward, workspace: workspace, needed: forwardWorkspaceByteCount,
                                        blocksY: blocksY, stream: stream)
        let blocksX = ceilDiv(prm.outputWidth, plan.forwardColumns)
        let groups = (ceilDiv(ceilDiv(prm.outputHeight, plan.forwardRows) * blocksX, plan.lanes), prm.groups * blocksY, prm.batch)
        try stream.dispatch(forward, [input, weights, bias ?? weight, output], push: push(blocksX: blocksX, blocksY: blocksY), groups: groups)
    }

    // MARK: Backward

    /// Bytes of scratch memory ``encodeBackwardData(into:outputGradient:weight:inputGradient:workspace:)``
    /// needs for repacked weights (0 when it reads them as they are).
    public var backwardDataWorkspaceByteCount: Int {
        plan.dataPacked ? packedCount(channels: parameters.inChannels, block: plan.dataChannels) * parameters.precision.byteCount : 0
    }

    /// Records `inputGradient = ∂L/∂x` from `outputGradient = ∂L/∂y` (overwrites every element).
    ///
    /// - Parameters:
    ///   - outputGradient: dy, `[N, K, OH, OW]`.
    ///   - weight: w, `[K, C / groups, KH, KW]`.
    ///   - inputGradient: dx, `[N, C, H, W]`.
    ///   - workspace: scratch of at least ``backwardDataWorkspaceByteCount`` bytes; when nil and one
    ///     is needed, a buffer is allocated for this call.
    ///   - scratch: reusable scratch for the Winograd temporaries; when nil they are allocated for this call.
    public func encodeBackwardData(into stream: CommandStream, outputGradient: Buffer, weight: Buffer, inputGradient: Buffer,
                                   workspace: Buffer? = nil, scratch: Workspace? = nil) throws {
        let prm = parameters
        try check([("outputGradient", outputGradient, prm.outputShape), ("weight", weight, prm.weightShape),
                   ("inputGradient", inputGradient, prm.inputShape)])
        if let pointwise {
            // dX [C, H·W] = Wᵀ [C, K] · dY [K, H·W] per image.
            let (k, c, pixels) = (prm.outChannels, prm.inChannels, prm.height * prm.width)
            try pointwise.encode(into: stream, a: weight, b: outputGradient, c: inputGradient,
                                 shape: .init(m: c, n: pixels, k: k, batch: prm.batch, transposeA: true, strideA: 0,
                                              strideB: k * pixels, strideC: c * pixels), precision: prm.precision)
            return
        }
        if let winograd {
            return try winograd.encodeBackwardData(stream, outputGradient: outputGradient, weight: weight, inputGradient: inputGradient,
                                                   workspace: scratch)
        }
        let blocksY = ceilDiv(prm.inChannels / prm.groups, plan.dataChannels)
        let weights = try packedWeights(weight, kernel: packBackwardData, workspace: workspace, needed: backwardDataWorkspaceByteCount,
                                        blocksY: blocksY, stream: stream)
        let rowsPerPhase = ceilDiv(prm.height, prm.strideHeight)
        let blocksX = ceilDiv(prm.width, plan.dataColumns)
        let groups = (ceilDiv(ceilDiv(rowsPerPhase, plan.dataRows) * blocksX, plan.lanes), prm.groups * blocksY, prm.batch * prm.strideHeight)
        try stream.dispatch(backwardData, [outputGradient, weights, inputGradient], push: push(blocksX: blocksX, blocksY: blocksY), groups: groups)
    }

    /// Bytes of scratch memory ``encodeBackwardFilter(into:input:outputGradient:weightGradient:biasGradient:workspace:)``
    /// needs for partial sums (0 when it sums in one pass).
    public var backwardFilterWorkspaceByteCount: Int {
        pointwise == nil && plan.filterSplits > 1 ? plan.filterSplits * weightCount * 4 : 0
    }

    /// Records `weightGradient = ∂L/∂w` and, with a bias, `biasGradient = ∂L/∂b` (both overwritten).
    ///
    /// - Parameters:
    ///   - input: x, `[N, C, H, W]`.
    ///   - outputGradient: dy, `[N, K, OH, OW]`.
    ///   - weightGradient: dw, `[K, C / groups, KH, KW]`.
    ///   - biasGradient: db, `[K]`; required exactly when ``Parameters/hasBias`` is true.
    ///   - workspace: scratch for partial sums of at least ``backwardFilterWorkspaceByteCount`` bytes;
    ///     when nil and one is needed, a buffer is allocated for this call.
    ///   - scratch: reusable scratch for the Winograd temporaries; when nil they are allocated for this call.
    public func encodeBackwardFilter(into stream: CommandStream, input: Buffer, outputGradient: Buffer, weightGradient: Buffer,
                                     biasGradient: Buffer?, workspace: Buffer? = nil, scratch: Workspace? = nil) throws {
        let prm = parameters
        try checkBias(biasGradient, role: "biasGradient")
        try check([("input", input, prm.inputShape), ("outputGradient", outputGradient, prm.outputShape),
                   ("weightGradient", weightGradient, prm.weightShape)]
                  + (biasGradient.map { [("biasGradient", $0, [prm.outChannels])] } ?? []))
        if let pointwise {
            // dW [K, C] = Σ_images dY [K, H·W] · Xᵀ [H·W, C], summed over the batch in a fixed order.
            let (k, c, pixels) = (prm.outChannels, prm.inChannels, prm.height * prm.width)
            try pointwise.encode(into: stream, a: outputGradient, b: input, c: weightGradient,
                                 shape: .init(m: k, n: c, k: pixels, batch: prm.batch, transposeB: true, strideA: k * pixels,
                                              strideB: c * pixels, sumOverBatch: true), precision: prm.precision)
        } else if let winograd {
            try winograd.encodeBackwardFilter(stream, input: input, outputGradient: outputGradient, weightGradient: weightGradient,
                                              workspace: scratch)
        } else {
            try encodeBackwardFilterKernels(into: stream, input: input, outputGradient: outputGradient, weightGradient: weightGradient,
                                            workspace: workspace)
        }
        if let biasGradient, let kernel = self.biasGradient {
            try stream.dispatch(kernel, [outputGradient, outputGradient, biasGradient], push: push(blocksX: 0, blocksY: 0),
                                groups: kernel.groups(covering: (prm.outChannels, 1, 1)))
        }
    }

    private func encodeBackwardFilterKernels(into stream: CommandStream, input: Buffer, outputGradient: Buffer, weightGradient: Buffer,
                                             workspace: Buffer?) throws {
        let prm = parameters
        let needed = backwardFilterWorkspaceByteCount
        // The fp32 sums: the weight gradient itself, or for a 16-bit one an fp32 buffer rounded into it at the end.
        let sums = narrow == nil ? weightGradient : try device.makeBuffer(byteCount: weightCount * 4)
        let partials = try scratch(workspace, needed: needed, role: "backward-filter") ?? sums
        let cinG = prm.inChannels / prm.groups
        let blocksY = ceilDiv(prm.outChannels / prm.groups, plan.filterChannels)
        let cBlocks = ceilDiv(cinG, plan.filterInputChannels)
        let groups = plan.filterLanesOverInputChannels
            ? (ceilDiv(cBlocks, plan.lanes), prm.groups * blocksY, plan.filterSplits)
            : (ceilDiv(prm.groups * blocksY * cBlocks, plan.lanes), 1, plan.filterSplits)
        try stream.dispatch(backwardFilter, [input, outputGradient, partials],
                            push: push(blocksX: 0, blocksY: blocksY, rows: (plan.filterRowsPerSplit, 0)), groups: groups)
        if needed > 0 {
            try stream.dispatch(reducePartials, [partials, partials, sums],
                                push: push(blocksX: 0, blocksY: 0, rows: (weightCount, plan.filterSplits)),
                                groups: reducePartials.groups(covering: (weightCount, 1, 1)))
        }
        try narrow?.encodeNarrow(into: stream, input: sums, output: weightGradient, count: weightCount, precision: parameters.precision)
    }

    // MARK: Internals

    /// The push constants shared by the conv2d shaders (`conv2d_common.glsl`): input `[N, C, H, W]`, output `[N, K, OH, OW]`.
    ///
    /// - `N`: batch size
    /// - `C`: input channels
    /// - `H`: input height
    /// - `W`: input width
    /// - `K`: output channels
    /// - `OH`: output height
    /// - `OW`: output width
    /// - `cinG`: input channels per group
    /// - `coutG`: output channels per group
    /// - `blocksX`: kernel-specific block count along x
    /// - `blocksY`: kernel-specific block count along y
    /// - `rows0`: kernel-specific range start (the backward-filter split)
    /// - `rows1`: kernel-specific range end or split count
    public struct Push: PushConstants {
        public static let count = 13
        public var N, C, H, W, K, OH, OW, cinG, coutG, blocksX, blocksY, rows0, rows1: Int

        public var values: [ShaderValue] {
            [.count(N), .count(C), .count(H), .count(W), .count(K), .count(OH), .count(OW), .count(cinG), .count(coutG),
             .count(blocksX), .count(blocksY), .count(rows0), .count(rows1)]
        }
    }

    /// The specialization constants of the conv2d shaders: the ones `conv2d_common.glsl` declares
    /// (3–14), then the shader's own from 15 on; the optional ones are left out when nil (the
    /// shader's default).
    ///
    /// - `channels`: constant_id 11: `TM`, channels per invocation (register block rows)
    /// - `columns`: constant_id 12: `TN`, pixels per invocation along a row (register block columns)
    /// - `vectorRows`: constant_id 13: `VEC_ROWS`, rows read as RGBA32F
    /// - `variant`: constant_id 14: `VARIANT`, the shader's mode (e.g. bias or not, packing, reduction)
    /// - `operandFlag`: constant_id 15: `PACKED_W` (`conv2d.comp`, `conv2d_backward_data.comp`) or `VEC_DY` (`conv2d_backward_filter.comp`)
    public struct Specialization: SpecializationConstants {
        /// constant_id 3–10: `KH`, `KW`, `SH`, `SW`, `PH`, `PW`, `DH`, `DW` (the window geometry).
        public var window: [Int]
        public var channels, columns: Int
        public var vectorRows: Bool
        public var variant: UInt32
        public var operandFlag: Bool
        /// constant_id 16: `TR`, rows per invocation; nil keeps the default.
        public var rows: Int?
        /// constant_id 17: `TC`, input channels per invocation (`conv2d_backward_filter.comp`); nil keeps the default.
        public var inputChannels: Int?

        public var values: [ShaderValue] {
            window.map { .count($0) } + [.count(channels), .count(columns), .bool(vectorRows), .uint(variant), .bool(operandFlag)]
                + [rows, inputChannels].compactMap { $0.map { .count($0) } }
        }
    }

    /// The specialization of a kernel of `prm`'s geometry.
    private static func constants(_ prm: Parameters, channels: Int, columns: Int, vectorRows: Bool, variant: UInt32,
                                  operandFlag: Bool, rows: Int? = nil, inputChannels: Int? = nil) -> Specialization {
        Specialization(window: [prm.kernelHeight, prm.kernelWidth, prm.strideHeight, prm.strideWidth, prm.paddingHeight,
                                prm.paddingWidth, prm.dilationHeight, prm.dilationWidth],
                       channels: channels, columns: columns, vectorRows: vectorRows, variant: variant, operandFlag: operandFlag,
                       rows: rows, inputChannels: inputChannels)
    }

    private var weightCount: Int { parameters.weightShape.reduce(1, *) }

    /// Floats of the packed weights with blocks of `block` of `channels` channels per group.
    private func packedCount(channels: Int, block: Int) -> Int {
        let prm = parameters
        return prm.groups * ceilDiv(channels / prm.groups, block) * block * (weightCount / (channels / prm.groups) / prm.groups)
    }

    /// The weights as the kernel reads them: `weight` itself, or a packed copy recorded into `stream`.
    private func packedWeights(_ weight: Buffer, kernel: Kernel?, workspace: Buffer?, needed: Int, blocksY: Int,
                               stream: CommandStream) throws -> Buffer {
        guard let kernel, let packed = try scratch(workspace, needed: needed, role: "weight-packing") else { return weight }
        try stream.dispatch(kernel, [weight, weight, weight, packed], push: push(blocksX: 0, blocksY: blocksY),
                            groups: kernel.groups(covering: (needed / parameters.precision.byteCount, 1, 1)))
        return packed
    }

    /// The caller's workspace (checked) or a new buffer; nil when nothing is needed.
    private func scratch(_ workspace: Buffer?, needed: Int, role: String) throws -> Buffer? {
        guard needed > 0 else { return nil }
        guard let workspace else { return try device.makeBuffer(byteCount: needed) }
        guard workspace.byteCount >= needed else {
            throw VulkanError.invalidArgument("\(parameters): the \(role) workspace holds \(workspace.byteCount) bytes; it needs \(needed).")
        }
        return workspace
    }

    private func push(blocksX: Int, blocksY: Int, rows: (Int, Int) = (0, 0)) -> Push {
        let prm = parameters
        return Push(N: prm.batch, C: prm.inChannels, H: prm.height, W: prm.width, K: prm.outChannels, OH: prm.outputHeight,
                    OW: prm.outputWidth, cinG: prm.inChannels / prm.groups, coutG: prm.outChannels / prm.groups, blocksX: blocksX,
                    blocksY: blocksY, rows0: rows.0, rows1: rows.1)
    }

    private func checkBias(_ buffer: Buffer?, role: String) throws {
        if parameters.hasBias, buffer == nil {
            throw VulkanError.invalidArgument("\(parameters): the convolution has a bias, so \(role) is required.")
        }
        if !parameters.hasBias, buffer != nil {
            throw VulkanError.invalidArgument("\(parameters): the convolution has no bias, so pass no \(role).")
        }
    }

    private func check(_ operands: [(String, Buffer, [Int])]) throws {
        let precision = parameters.precision
        for (name, buffer, shape) in operands {
            let count = shape.reduce(1, *)
            guard buffer.byteCount >= count * precision.byteCount else {
                throw VulkanError.invalidArgument("\(parameters): \(name) \(shape) needs \(count) \(precision) values but its buffer "
                                                  + "holds \(buffer.byteCount / precision.byteCount).")
            }
        }
    }
}

/// ⌈a / b⌉ for positive b (block and tile counts of the conv2d launchers).
func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
