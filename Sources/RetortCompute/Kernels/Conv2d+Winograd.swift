import Foundation

// Conv2d as Winograd F(T×T, 3×3) (stride 1, dilation 1, one group, padding 0–2).
//   x: [N, C, H, W]; w: [K, C, 3, 3]; y: [N, K, OH, OW]
//   forward:         u = G w Gᵀ,  v = Bᵀ x B,  m[ξ] = u[ξ] · v[ξ],  y = Aᵀ m A (+ b)
//   backward data:   the forward of dy with the filters transposed and rotated (padding 2 − P)
//   backward filter: v = Bᵀ x B,  d = A dy Aᵀ,  du[ξ] = v[ξ] · d[ξ],  dw = Gᵀ du G

extension Conv2dLauncher {
    /// How a convolution computes its passes.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// The implicit-GEMM kernels (`conv2d.comp` and its backward passes): every shape.
        case direct
        /// Winograd F(4×4, 3×3) or F(2×2, 3×3) with the products as batched GEMMs: 3×3 kernels with
        /// stride 1, dilation 1, one group and padding up to 2.
        case winograd

        /// The environment variable that forces an algorithm for every convolution whose launcher is
        /// built without an explicit one: `RETORT_CONV=direct` or `RETORT_CONV=winograd` (`auto`, or
        /// unset: the measured rule).
        public static let environmentKey = "RETORT_CONV"

        /// The algorithm `environment` forces, nil for the automatic choice; a clear error for any
        /// other value.
        public static func forced(by environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Algorithm? {
            guard let value = environment[environmentKey]?.lowercased(), !value.isEmpty, value != "auto" else { return nil }
            guard let algorithm = Algorithm(rawValue: value) else {
                throw VulkanError.invalidArgument("\(environmentKey)=\(value) is not an algorithm: use direct, winograd or auto.")
            }
            return algorithm
        }
    }

    /// Whether Winograd can compute `prm` (fp32 only: 16-bit convolutions run the direct kernels, whose
    /// single rounding of each output keeps the error at the precision's unit roundoff).
    public static func supportsWinograd(_ prm: Parameters) -> Bool {
        !prm.precision.isReduced && prm.kernelHeight == 3 && prm.kernelWidth == 3 && prm.strideHeight == 1 && prm.strideWidth == 1
            && prm.dilationHeight == 1 && prm.dilationWidth == 1 && prm.groups == 1
            && (0...2).contains(prm.paddingHeight) && prm.paddingWidth == prm.paddingHeight
    }

    /// The algorithm the measured rule picks for `prm` on `device` (see `retort-bench kernels --only conv`):
    /// Winograd for every supported shape with at least 32 input and output channels, where its
    /// transforms cost less than the multiplies they save; the direct kernels otherwise. On lavapipe
    /// (2-core AVX-512 host, batch 64, CPU time per pass, Winograd / direct): 16→16 at 32×32 1.4–1.5×
    /// slower; 32→32 at 32×32 0.71–0.84; 64→64 at 32×32 0.58–0.74; 128→128 at 16×16 0.33–0.82;
    /// 256→256 at 8×8 0.40–0.74 (the weight gradient gains most).
    static func automaticAlgorithm(for prm: Parameters, device: Device) -> Algorithm {
        supportsWinograd(prm) && min(prm.inChannels, prm.outChannels) >= 32 ? .winograd : .direct
    }

    /// Sizes of one Winograd pass: images of `inputChannels` × `height` × `width` (the reduction
    /// channels R) convolved into `outputChannels` (O) channels of `outputHeight` × `outputWidth`,
    /// `chunk` images per dispatch.
    struct WinogradPass: Sendable {
        var batch, inputChannels, outputChannels, height, width, outputHeight, outputWidth, padding: Int
        /// T: outputs per tile side (4 or 2, whichever computes fewer padded tile products).
        var tile: Int
        /// Images per dispatch: on lavapipe as many as keep the transformed input and the products
        /// within ``cacheBytes`` (they then stay in the CPU caches between kernels); the whole batch on GPUs.
        var chunk: Int
        var alpha: Int { tile + 2 }
        var positions: Int { alpha * alpha }
        var tilesHigh: Int { ceilDiv(outputHeight, tile) }
        /// Tile columns per row, padded to a multiple of 4 (four tiles make one vec4).
        var tilesWide: Int { ceilDiv(ceilDiv(outputWidth, tile), 4) * 4 }
        var paddedInputChannels: Int { ceilDiv(inputChannels, 4) * 4 }
        var paddedOutputChannels: Int { ceilDiv(outputChannels, 4) * 4 }

        /// Scratch that a chunk of images keeps warm on a CPU device.
        static let cacheBytes = 16 << 20

        /// - Parameter cacheBytes: the scratch a chunk of images may use; nil: the whole batch at once.
        init(batch: Int, inputChannels: Int, outputChannels: Int, height: Int, width: Int, padding: Int, cacheBytes: Int? = nil) {
            self.batch = batch
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.height = height
            self.width = width
            self.padding = padding
            let (oh, ow) = (height + 2 * padding - 2, width + 2 * padding - 2)
            outputHeight = oh
            outputWidth = ow
            func cost(_ t: Int) -> Int { (t + 2) * (t + 2) * ceilDiv(oh, t) * ceilDiv(ceilDiv(ow, t), 4) }
            tile = cost(4) <= cost(2) ? 4 : 2
            chunk = batch
            if let cacheBytes {
                let perImage = positions * tilesHigh * tilesWide * (ceilDiv(inputChannels, 4) * 4 + outputChannels) * 4  // v + m
                chunk = max(1, min(batch, cacheBytes / max(perImage, 1)))
            }
        }

        /// P: the (padded) tiles of `images` images.
        func tiles(_ images: Int) -> Int { images * tilesHigh * tilesWide }

        /// The chunks of the batch: (first image, images).
        var chunks: [(first: Int, count: Int)] {
            stride(from: 0, to: batch, by: chunk).map { ($0, min(chunk, batch - $0)) }
        }

        func push(first: Int = 0, count: Int? = nil) -> WinogradPush {
            let images = count ?? chunk
            return WinogradPush(N: images, n0: first, H: height, W: width, OH: outputHeight, OW: outputWidth, tilesH: tilesHigh,
                                groupsW: tilesWide / 4, P: tiles(images), R: inputChannels, Rp: paddedInputChannels,
                                O: outputChannels, Op: paddedOutputChannels)
        }

        /// Bytes of the transformed filters u: `[α², O, Rp]`.
        var filterBytes: Int { positions * outputChannels * paddedInputChannels * 4 }
        /// Bytes of the transformed input v of a chunk: `[α², Rp, P]`.
        var inputBytes: Int { positions * paddedInputChannels * tiles(chunk) * 4 }
        /// Bytes of the products m of a chunk: `[α², O, P]`.
        var productBytes: Int { positions * outputChannels * tiles(chunk) * 4 }
        /// Bytes of the transformed output gradient d of a chunk: `[α², P, Op]`.
        var gradientBytes: Int { positions * tiles(chunk) * paddedOutputChannels * 4 }
        /// Bytes of the weight-gradient products du: `[α², Rp, Op]`.
        var filterGradientBytes: Int { positions * paddedInputChannels * paddedOutputChannels * 4 }
    }

    /// The push constants of the Winograd shaders (`conv2d_winograd.glsl`).
    ///
    /// - `N`: images of this dispatch
    /// - `n0`: its first image
    /// - `H`, `W`: input image size
    /// - `OH`, `OW`: output image size
    /// - `tilesH`: tile rows
    /// - `groupsW`: groups of four tile columns per row
    /// - `P`: tiles (padded)
    /// - `R`, `Rp`: reduction (input) channels and that padded to a multiple of 4
    /// - `O`, `Op`: output channels and that padded to a multiple of 4
    public struct WinogradPush: PushConstants {
        public static let count = 13
        public var N, n0, H, W, OH, OW, tilesH, groupsW, P, R, Rp, O, Op: Int

        public var values: [ShaderValue] {
            [N, n0, H, W, OH, OW, tilesH, groupsW, P, R, Rp, O, Op].map { .count($0) }
        }
    }

    /// The specialization constants of the Winograd shaders.
    ///
    /// - `tile`: constant_id 3: `TILE`, outputs per tile side (2 or 4)
    /// - `padding`: constant_id 4: `PAD`, zero padding of the convolution
    /// - `vectorRows`: constant_id 5: `VEC_ROWS`, image rows read or written as vec4s
    /// - `variant`: constant_id 6: `VARIANT`, the shader's mode
    public struct WinogradSpecialization: SpecializationConstants {
        public var tile, padding: Int
        public var vectorRows: Bool
        public var variant: UInt32

        public var values: [ShaderValue] { [.count(tile), .count(padding), .bool(vectorRows), .uint(variant)] }
    }

    /// The Winograd pipelines of one convolution.
    struct Winograd: Sendable {
        let forward: WinogradPass
        let backward: WinogradPass
        let gemm: MatMulLauncher
        let lanes: UInt32
        let device: Device

        /// - Parameter cacheBytes: scratch per chunk of images; by default ``KernelChoice/winogradChunkBytes``
        ///   (``WinogradPass/cacheBytes`` on lavapipe, the whole batch at once on GPUs).
        init(device: Device, parameters prm: Parameters, cacheBytes: Int? = nil) throws {
            self.device = device
            let p = prm.paddingHeight
            let cache = cacheBytes ?? device.kernelChoice.winogradChunkBytes
            forward = WinogradPass(batch: prm.batch, inputChannels: prm.inChannels, outputChannels: prm.outChannels,
                                   height: prm.height, width: prm.width, padding: p, cacheBytes: cache)
            backward = WinogradPass(batch: prm.batch, inputChannels: prm.outChannels, outputChannels: prm.inChannels,
                                    height: prm.outputHeight, width: prm.outputWidth, padding: 2 - p, cacheBytes: cache)
            gemm = try MatMulLauncher(device: device)
            lanes = UInt32(device.kernelChoice.convolutionLanes)
        }

        private func kernel(_ shader: Shader, _ bindings: [Kernel.Binding], _ pass: WinogradPass, vectorRows: Bool = false,
                            variant: UInt32 = 0) throws -> Kernel {
            try device.kernel(shader, bindings: bindings, pushConstants: WinogradPush.self, localSize: [lanes, 1, 1],
                              constants: WinogradSpecialization(tile: pass.tile, padding: pass.padding, vectorRows: vectorRows,
                                                                variant: variant))
        }

        /// v = Bᵀ image B for the images `chunk` of `pass`.
        private func transformInput(_ stream: CommandStream, _ pass: WinogradPass, _ chunk: (first: Int, count: Int), image: Buffer,
                                    into v: Buffer) throws {
            let kernel = try self.kernel(.conv2dWinogradInput, [.texel(pass.width % 4 == 0 ? .rgba32f : .r32f), .storage(.write)], pass,
                                         vectorRows: pass.width % 4 == 0)
            try stream.dispatch(kernel, [image, v], push: pass.push(first: chunk.first, count: chunk.count),
                                groups: kernel.groups(covering: (pass.tiles(chunk.count) / 4, pass.paddedInputChannels, 1)))
        }

        /// u = G w Gᵀ (`flipped`: of the transposed, rotated filters, for backward data).
        private func transformFilter(_ stream: CommandStream, _ pass: WinogradPass, weight: Buffer, flipped: Bool, into u: Buffer) throws {
            let kernel = try self.kernel(.conv2dWinogradFilter, [.texel(.r32f), .storage(.write)], pass, variant: flipped ? 1 : 0)
            try stream.dispatch(kernel, [weight, u], push: pass.push(),
                                groups: kernel.groups(covering: (pass.paddedInputChannels, pass.outputChannels, 1)))
        }

        /// y = conv(image, filters) (+ b) chunk by chunk: v = Bᵀ image B, m[ξ] = u[ξ] · v[ξ], y = Aᵀ m A.
        private func convolve(_ stream: CommandStream, _ pass: WinogradPass, image: Buffer, weight: Buffer, flipped: Bool, bias: Buffer?,
                              output: Buffer, workspace: Workspace?) throws {
            let u = try scratch(workspace, 0, pass.filterBytes), v = try scratch(workspace, 1, pass.inputBytes)
            let m = try scratch(workspace, 2, pass.productBytes)
            try transformFilter(stream, pass, weight: weight, flipped: flipped, into: u)
            let vectorRows = pass.outputWidth % 4 == 0
            let output_ = try self.kernel(.conv2dWinogradOutput, [.texel(.rgba32f), .texel(.r32f), .storage(.write)], pass,
                                          vectorRows: vectorRows, variant: bias == nil ? 0 : 1)
            let (o, rp) = (pass.outputChannels, pass.paddedInputChannels)
            for chunk in pass.chunks {
                let tiles = pass.tiles(chunk.count)
                try transformInput(stream, pass, chunk, image: image, into: v)
                try gemm.encode(into: stream, a: u, b: v, c: m,
                                shape: .init(m: o, n: tiles, k: rp, batch: pass.positions, strideA: o * rp, strideB: rp * tiles,
                                             strideC: o * tiles))
                try stream.dispatch(output_, [m, bias ?? m, output], push: pass.push(first: chunk.first, count: chunk.count),
                                    groups: output_.groups(covering: (tiles / 4, o, 1)))
            }
        }

        private func scratch(_ workspace: Workspace?, _ slot: Int, _ bytes: Int) throws -> Buffer {
            try workspace?.buffer(slot, byteCount: bytes) ?? device.makeBuffer(byteCount: bytes)
        }

        func encodeForward(_ stream: CommandStream, input: Buffer, weight: Buffer, bias: Buffer?, output: Buffer,
                           workspace: Workspace?) throws {
            try convolve(stream, forward, image: input, weight: weight, flipped: false, bias: bias, output: output, workspace: workspace)
        }

        func encodeBackwardData(_ stream: CommandStream, outputGradient: Buffer, weight: Buffer, inputGradient: Buffer,
                                workspace: Workspace?) throws {
            try convolve(stream, backward, image: outputGradient, weight: weight, flipped: true, bias: nil, output: inputGradient,
                         workspace: workspace)
        }

        /// dw = Gᵀ (Σ over chunks of v[ξ] · d[ξ]) G, the chunks' products summed in order into du.
        func encodeBackwardFilter(_ stream: CommandStream, input: Buffer, outputGradient: Buffer, weightGradient: Buffer,
                                  workspace: Workspace?) throws {
            let pass = forward
            let v = try scratch(workspace, 1, pass.inputBytes), d = try scratch(workspace, 2, pass.gradientBytes)
            let du = try scratch(workspace, 0, pass.filterGradientBytes)
            let vectorRows = pass.tile == 4 && pass.outputWidth % 4 == 0
            let gradient = try self.kernel(.conv2dWinogradGradient, [.texel(vectorRows ? .rgba32f : .r32f), .storage(.write)], pass,
                                           vectorRows: vectorRows)
            let (rp, op) = (pass.paddedInputChannels, pass.paddedOutputChannels)
            for (index, chunk) in pass.chunks.enumerated() {
                let tiles = pass.tiles(chunk.count)
                try transformInput(stream, pass, chunk, image: input, into: v)
                try stream.dispatch(gradient, [outputGradient, d], push: pass.push(first: chunk.first, count: chunk.count),
                                    groups: gradient.groups(covering: (tiles, op / 4, 1)))
                try gemm.encode(into: stream, a: v, b: d, c: du,
                                shape: .init(m: rp, n: op, k: tiles, batch: pass.positions, strideA: rp * tiles, strideB: tiles * op,
                                             strideC: rp * op),
                                beta: index == 0 ? 0 : 1)
            }
            let filter = try self.kernel(.conv2dWinogradFilter, [.texel(.r32f), .storage(.write)], pass, variant: 2)
            try stream.dispatch(filter, [du, weightGradient], push: pass.push(),
                                groups: filter.groups(covering: (pass.inputChannels, pass.outputChannels, 1)))
        }
    }
}
