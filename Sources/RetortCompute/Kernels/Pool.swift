// Pooling (2-D).
//   x: [N, C, H, W]; y, indices: [N, C, OH, OW] (windowed) or y: [N, C] (global)

/// 2-D pooling over NCHW fp32 tensors, as PyTorch's `max_pool2d`, `avg_pool2d` and
/// `adaptive_avg_pool2d(x, 1)` (floor mode), forward and backward.
///
/// - Max pooling writes the maximum of each window and its position `ih · W + iw` inside the
///   `(n, c)` plane (PyTorch's `indices`, as `Int32`); padding never wins. The backward pass sends
///   each `dy` to its argmax position.
/// - Average pooling divides each window sum by the padded window size (`count_include_pad = True`,
///   PyTorch's default) or by the number of positions inside the input.
/// - Global average pooling: `[N, C, H, W] → [N, C]`.
///
/// Backward passes are gathers over input positions with a fixed summation order: no atomics, the
/// same bits on every run.
///
/// Every pooling also runs on fp16/bf16 tensors (`precision:`): values and gradients in that precision
/// (max pooling's indices stay Int32), sums in fp32.
public struct PoolLauncher: Sendable {
    /// A pooling window: kernel size, stride, zero padding and dilation per spatial axis.
    public struct Window: Sendable, Hashable, CustomStringConvertible {
        public var kernelHeight, kernelWidth: Int
        public var strideHeight, strideWidth: Int
        public var paddingHeight, paddingWidth: Int
        public var dilationHeight, dilationWidth: Int

        /// A square window; the stride defaults to the kernel size, as in PyTorch.
        public init(kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
            self.init(kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride ?? kernel, strideWidth: stride ?? kernel,
                      paddingHeight: padding, paddingWidth: padding, dilationHeight: dilation, dilationWidth: dilation)
        }

        public init(kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
                    paddingHeight: Int = 0, paddingWidth: Int = 0, dilationHeight: Int = 1, dilationWidth: Int = 1) {
            (self.kernelHeight, self.kernelWidth, self.strideHeight, self.strideWidth) = (kernelHeight, kernelWidth, strideHeight, strideWidth)
            (self.paddingHeight, self.paddingWidth, self.dilationHeight, self.dilationWidth) = (paddingHeight, paddingWidth, dilationHeight, dilationWidth)
        }

        /// The largest kernel size, stride, padding or dilation the kernels take (their index
        /// arithmetic is 32-bit).
        public static let largestValue = 32_767

        public var description: String {
            "kernel \(kernelHeight)×\(kernelWidth), stride \(strideHeight)×\(strideWidth), padding \(paddingHeight)×\(paddingWidth), dilation \(dilationHeight)×\(dilationWidth)"
        }

        /// Output height and width for an input of `height × width` (floor mode):
        /// `(H + 2·padding − dilation·(kernel − 1) − 1) / stride + 1`; nil when the window does not
        /// fit or a size is out of range (not positive, or above ``largestValue`` for the window).
        public func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
            func size(_ input: Int, _ kernel: Int, _ stride: Int, _ padding: Int, _ dilation: Int) -> Int? {
                guard (1...Int(Int32.max)).contains(input), (1...Self.largestValue).contains(kernel), (1...Self.largestValue).contains(stride),
                      (0...Self.largestValue).contains(padding), (1...Self.largestValue).contains(dilation) else { return nil }
                let span = input + 2 * padding - dilation * (kernel - 1) - 1
                return span < 0 ? nil : span / stride + 1
            }
            guard let outHeight = size(height, kernelHeight, strideHeight, paddingHeight, dilationHeight),
                  let outWidth = size(width, kernelWidth, strideWidth, paddingWidth, dilationWidth) else { return nil }
            return (outHeight, outWidth)
        }
    }

    private let maxForward: Kernel
    /// 2×2, stride 2 windows on rows of a multiple of 8 values: vector loads and stores.
    private let maxForward2x2: Kernel
    private let maxBackward: Kernel
    private let maxBackward2x2: Kernel
    private let averageForward: Kernel
    private let averageBackward: Kernel
    private let globalForward: (scalar: Kernel, vector: Kernel)
    private let globalBackward: Kernel
    private let device: Device
    /// Outputs (forward) or input positions (backward) of one row per invocation.
    private static let run = 4
    private static let globalBackwardRun = 8

    public init(device: Device) throws {
        self.device = device
        let run = RunLength(run: Self.run)
        maxForward = try device.kernel(.poolMax, bindings: [.texel(.r32f), .storage(.write), .storage(.write)],
                                       pushConstants: ForwardPush<Dilation>.self,
                                       localSize: [64, 1, 1], constants: run)
        maxForward2x2 = try device.kernel(.poolMax2x2, bindings: [.texel(.rgba32f), .storage(.write), .storage(.write)],
                                          pushConstants: HalvingPush.self,
                                          localSize: [64, 1, 1])
        maxBackward = try device.kernel(.poolMaxBackward, bindings: [.texel(.r32f), .texel(.r32i), .storage(.write)],
                                        pushConstants: BackwardPush<Dilation>.self,
                                        localSize: [64, 1, 1], constants: run)
        maxBackward2x2 = try device.kernel(.poolMax2x2Backward, bindings: [.texel(.rgba32f), .storage(.read), .storage(.write)],
                                           pushConstants: HalvingPush.self, localSize: [64, 1, 1])
        averageForward = try device.kernel(.poolAvg, bindings: [.texel(.r32f), .storage(.write)],
                                           pushConstants: ForwardPush<CountPadding>.self,
                                           localSize: [64, 1, 1], constants: run)
        averageBackward = try device.kernel(.poolAvgBackward, bindings: [.texel(.r32f), .storage(.write)],
                                            pushConstants: BackwardPush<CountPadding>.self,
                                            localSize: [64, 1, 1], constants: run)
        globalForward = (try device.kernel(.poolGlobalAvg, bindings: [.texel(.r32f), .storage(.write)], pushConstants: GlobalPush.self,
                                           localSize: [64, 1, 1], constants: VectorWidth(vec: 1)),
                         try device.kernel(.poolGlobalAvg, bindings: [.texel(.rgba32f), .storage(.write)], pushConstants: GlobalPush.self,
                                           localSize: [64, 1, 1], constants: VectorWidth(vec: 4)))
        globalBackward = try device.kernel(.poolGlobalAvgBackward, bindings: [.texel(.r32f), .storage(.write)],
                                           pushConstants: GlobalBackwardPush.self,
                                           localSize: [64, 1, 1], constants: RunLength(run: Self.globalBackwardRun))
    }

    // MARK: Max pooling

    /// Records max pooling: `output[n, c, oh, ow]` is the maximum of `input` over the window and
    /// `indices[n, c, oh, ow]` (Int32) its position `ih · W + iw` in the input plane (the first
    /// maximum in window order). `output` and `indices`: `[N, C, OH, OW]` (``Window/outputSize(height:width:)``).
    /// `input` and `output` hold `precision` values.
    ///
    /// - Throws: `VulkanError.invalidArgument` for non-positive sizes, a window that does not fit,
    ///   padding over half the kernel (PyTorch's rule), or buffers too small for the shapes.
    public func encodeMaxForward(into stream: CommandStream, input: Buffer, output: Buffer, indices: Buffer,
                                 batch: Int, channels: Int, height: Int, width: Int, window: Window,
                                 precision: Precision = .float32) throws {
        let geometry = try Geometry(batch: batch, channels: channels, height: height, width: width, window: window, operation: "max pooling forward")
        try geometry.require(input: [("input", input)], output: [("output", output)], precision: precision)
        try geometry.require(input: [], output: [("indices", indices)])
        if window == Window(kernel: 2), width % 8 == 0 {
            let (push, items) = geometry.halvingPush()
            let kernel = try variant(maxForward2x2, .poolMax2x2, precision, [.texel(.values(precision, vector: true)), .storage(.write),
                                                                             .storage(.write)], HalvingPush.self)
            try stream.dispatch(kernel, [input, output, indices], push: push, groups: kernel.linearGroups(covering: items))
            return
        }
        let (push, invocations) = geometry.forwardPush(run: Self.run, extra: Dilation(DH: window.dilationHeight, DW: window.dilationWidth))
        let kernel = try variant(maxForward, .poolMax, precision, [.texel(.values(precision, vector: false)), .storage(.write),
                                                                   .storage(.write)], ForwardPush<Dilation>.self, RunLength(run: Self.run))
        try stream.dispatch(kernel, [input, output, indices], push: push, groups: kernel.linearGroups(covering: invocations))
    }

    /// Records the max pooling backward pass: `inputGradient[n, c, ih, iw]` is the sum of the
    /// `outputGradient` values whose `indices` entry (from ``encodeMaxForward(into:input:output:indices:batch:channels:height:width:window:)``)
    /// is `ih · W + iw`. Overwrites `inputGradient`. Both gradients hold `precision` values.
    ///
    /// - Throws: `VulkanError.invalidArgument` as the forward pass.
    public func encodeMaxBackward(into stream: CommandStream, outputGradient: Buffer, indices: Buffer, inputGradient: Buffer,
                                  batch: Int, channels: Int, height: Int, width: Int, window: Window,
                                  precision: Precision = .float32) throws {
        let geometry = try Geometry(batch: batch, channels: channels, height: height, width: width, window: window, operation: "max pooling backward")
        try geometry.require(input: [("inputGradient", inputGradient)], output: [("outputGradient", outputGradient)], precision: precision)
        try geometry.require(input: [], output: [("indices", indices)])
        if window == Window(kernel: 2), width % 8 == 0, height % 2 == 0 {
            let (push, items) = geometry.halvingPush()
            let kernel = try variant(maxBackward2x2, .poolMax2x2Backward, precision,
                                     [.texel(.values(precision, vector: true)), .storage(.read), .storage(.write)], HalvingPush.self)
            try stream.dispatch(kernel, [outputGradient, indices, inputGradient], push: push, groups: kernel.linearGroups(covering: items))
            return
        }
        let (push, invocations) = geometry.backwardPush(run: Self.run, extra: Dilation(DH: window.dilationHeight, DW: window.dilationWidth))
        let kernel = try variant(maxBackward, .poolMaxBackward, precision,
                                 [.texel(.values(precision, vector: false)), .texel(.r32i), .storage(.write)],
                                 BackwardPush<Dilation>.self, RunLength(run: Self.run))
        try stream.dispatch(kernel, [outputGradient, indices, inputGradient], push: push,
                            groups: kernel.linearGroups(covering: invocations))
    }

    /// `fp32`, the kernel built at initialization; for fp16/bf16 the same shader's 16-bit variant with `bindings`
    /// (built on first use, cached by the device).
    private func variant<P: PushConstants, C: SpecializationConstants>(
        _ fp32: Kernel, _ shader: Shader, _ precision: Precision, _ bindings: [Kernel.Binding], _ push: P.Type,
        _ constants: C = NoSpecializationConstants()
    ) throws -> Kernel {
        guard precision.isReduced else { return fp32 }
        return try device.kernel(shader, bindings: bindings, pushConstants: push, localSize: [64, 1, 1], constants: constants,
                                 precision: precision)
    }

    /// One 16-bit texel binding of `precision` (a scalar view unless `vector`), then one storage binding.
    private func texelThenStorage(_ precision: Precision, vector: Bool = false) -> [Kernel.Binding] {
        [.texel(.values(precision, vector: vector)), .storage(.write)]
    }

    // MARK: Average pooling

    /// Records average pooling: `output[n, c, oh, ow]` is the window sum divided by the padded
    /// window size (`countIncludesPadding`, PyTorch's default) or by the number of input positions
    /// in the window. `output`: `[N, C, OH, OW]`. A window covering the whole unpadded input runs
    /// as global average pooling.
    ///
    /// - Throws: `VulkanError.invalidArgument` for non-positive sizes, a dilation other than 1, a
    ///   window that does not fit, padding over half the kernel, or buffers too small for the shapes.
    public func encodeAverageForward(into stream: CommandStream, input: Buffer, output: Buffer,
                                     batch: Int, channels: Int, height: Int, width: Int, window: Window,
                                     countIncludesPadding: Bool = true, precision: Precision = .float32) throws {
        let geometry = try Geometry(batch: batch, channels: channels, height: height, width: width, window: window,
                                    operation: "average pooling forward", allowsDilation: false)
        try geometry.require(input: [("input", input)], output: [("output", output)], precision: precision)
        if geometry.windowCoversThePlane {
            return try encodeGlobalAverageForward(into: stream, input: input, output: output, batch: batch, channels: channels,
                                                  height: height, width: width, precision: precision)
        }
        let (push, invocations) = geometry.forwardPush(run: Self.run, extra: CountPadding(countPad: countIncludesPadding))
        let kernel = try variant(averageForward, .poolAvg, precision, texelThenStorage(precision), ForwardPush<CountPadding>.self,
                                 RunLength(run: Self.run))
        try stream.dispatch(kernel, [input, output], push: push, groups: kernel.linearGroups(covering: invocations))
    }

    /// Records the average pooling backward pass: `inputGradient[n, c, ih, iw]` is the sum of
    /// `outputGradient / divisor` over the windows containing `(ih, iw)`. Overwrites `inputGradient`.
    ///
    /// - Throws: `VulkanError.invalidArgument` as the forward pass.
    public func encodeAverageBackward(into stream: CommandStream, outputGradient: Buffer, inputGradient: Buffer,
                                      batch: Int, channels: Int, height: Int, width: Int, window: Window,
                                      countIncludesPadding: Bool = true, precision: Precision = .float32) throws {
        let geometry = try Geometry(batch: batch, channels: channels, height: height, width: width, window: window,
                                    operation: "average pooling backward", allowsDilation: false)
        try geometry.require(input: [("inputGradient", inputGradient)], output: [("outputGradient", outputGradient)], precision: precision)
        if geometry.windowCoversThePlane {
            return try encodeGlobalAverageBackward(into: stream, outputGradient: outputGradient, inputGradient: inputGradient,
                                                   batch: batch, channels: channels, height: height, width: width, precision: precision)
        }
        let (push, invocations) = geometry.backwardPush(run: Self.run, extra: CountPadding(countPad: countIncludesPadding))
        let kernel = try variant(averageBackward, .poolAvgBackward, precision, texelThenStorage(precision),
                                 BackwardPush<CountPadding>.self, RunLength(run: Self.run))
        try stream.dispatch(kernel, [outputGradient, inputGradient], push: push, groups: kernel.linearGroups(covering: invocations))
    }

    // MARK: Global average pooling

    /// Records global average pooling: `output[n, c]` is the mean of `input[n, c, :, :]`.
    /// `input`: `[N, C, H, W]`, `output`: `[N, C]`.
    ///
    /// - Throws: `VulkanError.invalidArgument` for non-positive sizes or buffers too small for the shapes.
    public func encodeGlobalAverageForward(into stream: CommandStream, input: Buffer, output: Buffer,
                                           batch: Int, channels: Int, height: Int, width: Int, precision: Precision = .float32) throws {
        let geometry = try Geometry(batch: batch, channels: channels, height: height, width: width, window: nil,
                                    operation: "global average pooling forward")
        try geometry.require(input: [("input", input)], output: [("output", output)], precision: precision)
        let planeSize = height * width
        let vector = planeSize % 4 == 0
        let kernel = try variant(vector ? globalForward.vector : globalForward.scalar, .poolGlobalAvg, precision,
                                 texelThenStorage(precision, vector: vector), GlobalPush.self, VectorWidth(vec: vector ? 4 : 1))
        let texels = planeSize % 4 == 0 ? planeSize / 4 : planeSize
        try stream.dispatch(kernel, [input, output], push: GlobalPush(planes: geometry.planes, P: texels),
                            groups: kernel.linearGroups(covering: geometry.planes))
    }

    /// Records the global average pooling backward pass: `inputGradient[n, c, h, w] = outputGradient[n, c] / (H · W)`.
    ///
    /// - Throws: `VulkanError.invalidArgument` for non-positive sizes or buffers too small for the shapes.
    public func encodeGlobalAverageBackward(into stream: CommandStream, outputGradient: Buffer, inputGradient: Buffer,
                                            batch: Int, channels: Int, height: Int, width: Int, precision: Precision = .float32) throws {
        let geometry = try Geometry(batch: batch, channels: channels, height: height, width: width, window: nil,
                                    operation: "global average pooling backward")
        try geometry.require(input: [("inputGradient", inputGradient)], output: [("outputGradient", outputGradient)], precision: precision)
        let planeSize = height * width
        let divisor = FastDivisor(planeSize)
        let count = geometry.planes * planeSize
        let kernel = try variant(globalBackward, .poolGlobalAvgBackward, precision, texelThenStorage(precision), GlobalBackwardPush.self,
                                 RunLength(run: Self.globalBackwardRun))
        try stream.dispatch(kernel, [outputGradient, inputGradient],
                            push: GlobalBackwardPush(HW: planeSize, count: count, hwMagic: divisor.magic, hwShift: divisor.shift),
                            groups: kernel.linearGroups(covering: (count + Self.globalBackwardRun - 1) / Self.globalBackwardRun))
    }
}

extension PoolLauncher {
    /// Input and output shapes of one pooling call, checked as PyTorch checks them.
    fileprivate struct Geometry {
        let batch, channels, height, width: Int
        let outHeight, outWidth: Int
        let window: PoolLauncher.Window?
        let operation: String

        /// `window` nil: global pooling (output `[N, C]`).
        init(batch: Int, channels: Int, height: Int, width: Int, window: PoolLauncher.Window?, operation: String,
             allowsDilation: Bool = true) throws {
            (self.batch, self.channels, self.height, self.width, self.window, self.operation) = (batch, channels, height, width, window, operation)
            let shape = "[\(batch), \(channels), \(height), \(width)]"
            guard batch > 0, channels > 0, height > 0, width > 0 else {
                throw VulkanError.invalidArgument("Pooling (\(operation)) needs positive dimensions, got x: \(shape).")
            }
            let count = [batch, channels, height, width].reduce(1) { product, dimension in
                let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
                return overflow || next >= Int(Int32.max) ? Int.max : next
            }
            guard count < Int(Int32.max) else {
                throw VulkanError.invalidArgument("Pooling (\(operation)): x: \(shape) has 2³¹ or more values; split the batch.")
            }
            guard let window else {
                (outHeight, outWidth) = (1, 1)
                return
            }
            guard window.kernelHeight > 0, window.kernelWidth > 0, window.strideHeight > 0, window.strideWidth > 0,
                  window.dilationHeight > 0, window.dilationWidth > 0, window.paddingHeight >= 0, window.paddingWidth >= 0 else {
                throw VulkanError.invalidArgument("Pooling (\(operation)) on x: \(shape): the window (\(window)) needs positive kernel, stride and dilation and non-negative padding.")
            }
            let largest = PoolLauncher.Window.largestValue
            guard [window.kernelHeight, window.kernelWidth, window.strideHeight, window.strideWidth, window.paddingHeight, window.paddingWidth,
                   window.dilationHeight, window.dilationWidth].allSatisfy({ $0 <= largest }) else {
                throw VulkanError.invalidArgument("Pooling (\(operation)) on x: \(shape): window sizes above \(largest) are not supported (window: \(window)).")
            }
            guard allowsDilation || (window.dilationHeight == 1 && window.dilationWidth == 1) else {
                throw VulkanError.invalidArgument("Pooling (\(operation)) on x: \(shape): average pooling has no dilation (window: \(window)).")
            }
            guard window.paddingHeight <= window.kernelHeight / 2, window.paddingWidth <= window.kernelWidth / 2 else {
                throw VulkanError.invalidArgument("Pooling (\(operation)) on x: \(shape): padding must be at most half the kernel size (window: \(window)).")
            }
            guard let size = window.outputSize(height: height, width: width) else {
                throw VulkanError.invalidArgument("Pooling (\(operation)): the window (\(window)) does not fit x: \(shape); the output would be empty.")
            }
            (outHeight, outWidth) = size
        }

        var planes: Int { batch * channels }

        /// An unpadded window as large as the input: one output per plane, the plane's mean (the
        /// CIFAR networks' `avg_pool2d(x, 8)` on 8 × 8 maps), which the global kernels compute.
        var windowCoversThePlane: Bool {
            guard let window else { return false }
            return window.kernelHeight == height && window.kernelWidth == width && window.paddingHeight == 0 && window.paddingWidth == 0
        }
        var inputShape: String { "[\(batch), \(channels), \(height), \(width)]" }
        var outputShape: String { window == nil ? "[\(batch), \(channels)]" : "[\(batch), \(channels), \(outHeight), \(outWidth)]" }

        /// Checks that buffers hold the input (`[N, C, H, W]`) and output tensors of 4-byte values (fp32,
        /// indices) or of `precision`.
        func require(input: [(String, Buffer)], output: [(String, Buffer)], precision: Precision = .float32) throws {
            let size = precision.byteCount
            for (buffers, count, shape) in [(input, planes * height * width, inputShape), (output, planes * outHeight * outWidth, outputShape)] {
                for (name, buffer) in buffers where buffer.byteCount < count * size {
                    throw VulkanError.invalidArgument("Pooling (\(operation)) of x: \(inputShape) to \(outputShape): \(name) must hold \(shape) = \(count) \(precision) values but its buffer holds \(buffer.byteCount / size).")
                }
            }
        }

        /// The window's geometry as the shaders' push constants start: H W OH OW KH KW SH SW PH PW.
        private func windowPush(_ window: Window) -> WindowPush {
            WindowPush(H: height, W: width, OH: outHeight, OW: outWidth, KH: window.kernelHeight, KW: window.kernelWidth,
                       SH: window.strideHeight, SW: window.strideWidth, PH: window.paddingHeight, PW: window.paddingWidth)
        }

        /// Forward push constants (`extra` after the window) and invocation count: one invocation
        /// per `run` outputs of an output row.
        func forwardPush<Extra: PushConstants>(run: Int, extra: Extra) -> (ForwardPush<Extra>, Int) {
            let rowBlocks = (outWidth + run - 1) / run
            let items = planes * outHeight * rowBlocks
            return (ForwardPush(window: windowPush(window!), extra: extra, rowBlocks: rowBlocks, items: items,
                                blocks: FastDivisor(rowBlocks), outputRows: FastDivisor(outHeight)), items)
        }

        /// Push constants and invocation count of the 2×2, stride-2 kernels (W % 8 == 0): one
        /// invocation per 4 outputs.
        func halvingPush() -> (HalvingPush, Int) {
            let blocks = width / 8
            let items = planes * outHeight * blocks
            let (blockDivisor, rowDivisor) = (FastDivisor(blocks), FastDivisor(outHeight))
            return (HalvingPush(H: height, W: width, OH: outHeight, blocks: blocks, items: items, blocksMagic: blockDivisor.magic,
                                blocksShift: blockDivisor.shift, ohMagic: rowDivisor.magic, ohShift: rowDivisor.shift), items)
        }

        /// Backward push constants and invocation count: one invocation per `run` positions of an input row.
        func backwardPush<Extra: PushConstants>(run: Int, extra: Extra) -> (BackwardPush<Extra>, Int) {
            let window = window!
            let rowBlocks = (width + run - 1) / run
            let items = planes * height * rowBlocks
            let divisors = (blocks: FastDivisor(rowBlocks), height: FastDivisor(height), strideHeight: FastDivisor(window.strideHeight),
                            strideWidth: FastDivisor(window.strideWidth))
            return (BackwardPush(window: windowPush(window), extra: extra, rowBlocks: rowBlocks, items: items, divisors: divisors), items)
        }
    }
}

/// Division by a fixed divisor `d` in (0, 2³¹) as a multiply and a shift, for dividends below 2³¹:
/// `n / d = (mulhi(n, magic) + n) >> shift` (`fastdiv` in `Shaders/pool.glsl`).
public struct FastDivisor: Sendable, Hashable {
    /// The multiplier.
    public let magic: UInt32
    /// The final right shift.
    public let shift: UInt32

    /// The magic numbers for `divisor`; traps outside (0, 2³¹) (a programmer error).
    public init(_ divisor: Int) {
        precondition(divisor > 0 && divisor < 1 << 31, "FastDivisor needs a divisor in (0, 2³¹), got \(divisor)")
        var shift: UInt64 = 0
        while (UInt64(1) << shift) < UInt64(divisor) { shift += 1 }
        magic = UInt32(((UInt64(1) << 32) * ((UInt64(1) << shift) - UInt64(divisor))) / UInt64(divisor) + 1)
        self.shift = UInt32(shift)
    }

    /// The two push constants a shader divides with: `magic`, then `shift`.
    var values: [ShaderValue] { [.uint(magic), .uint(shift)] }
}

extension Kernel {
    /// Workgroups for `invocations` invocations numbered across the x and y axes (shaders compute
    /// `gl_GlobalInvocationID.x + gl_GlobalInvocationID.y · gl_NumWorkGroups.x · gl_WorkGroupSize.x`),
    /// so grids beyond the per-axis workgroup limit still fit. Assumes a 1-D workgroup.
    func linearGroups(covering invocations: Int) -> (Int, Int, Int) {
        let groups = max(1, (invocations + Int(localSize[0]) - 1) / Int(localSize[0]))
        let limit = Int(context.limits.maxComputeWorkGroupCount.0)
        let x = min(groups, limit)
        return (x, (groups + x - 1) / x, 1)
    }
}
