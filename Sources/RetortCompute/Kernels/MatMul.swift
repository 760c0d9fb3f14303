import Foundation

// Batched matrix multiply.
//   A: [batch, M, K] (or [batch, K, M] transposed); B: [batch, K, N] (or [batch, N, K]); C: [batch, M, N]; bias: [M] or [N]

/// Batched `C = alpha · op(A) · op(B) + beta · C (+ bias)`, op ∈ {none, transpose}, for fp32 matrices or
/// (mixed precision, `precision:`) fp16/bf16 ones: A, B, C and the bias in 16 bits, every sum and the
/// split-K partial products in fp32, each output rounded once.
///
/// Two kernel families, picked per device:
/// - ``Variant/texel`` (lavapipe): A and B are read as RGBA32F texel buffers in a dense, zero-padded
///   row-major layout, each invocation keeping a 16×16 block of C in registers; operands that are
///   transposed or not 4-aligned are first packed into that layout by `matmul_pack`.
/// - ``Variant/tiled`` (GPUs): the classic shared-memory tiled kernel, reading any strides directly.
/// Split-K (for tall-skinny products such as weight gradients) writes per-slice partial products and
/// sums them in a fixed order in a second pass, so results are deterministic.
public final class MatMulLauncher: Sendable {

    /// The specialization constants of `matmul.comp`.
    ///
    /// - `tm`: constant_id 3: `TM`: rows of C per invocation
    /// - `nb`: constant_id 4: `NB`: vec4 columns of C per invocation
    /// - `bias`: constant_id 5: `BIAS`: 0 none, 1 per row (bias[M]), 2 per column (bias[N]); 0 while writing partial products
    public struct Specialization: SpecializationConstants {
        public var tm, nb: Int
        public var bias: UInt32
        /// constant_id 6: `ACCUMULATE`, add beta · C (beta ≠ 0).
        public var accumulate: Bool

        public var values: [ShaderValue] { [.count(tm), .count(nb), .uint(bias), .bool(accumulate)] }
    }

    /// The push constants of `matmul.comp` (K and N in vec4 texels of the packed operands).
    ///
    /// - `M`: rows of C
    /// - `N`: columns of C
    /// - `K4`: K in texels
    /// - `N4`: N in texels
    /// - `strideA4`: texels between batch entries of A (0 broadcasts one A)
    /// - `strideB4`: texels between batch entries of B
    /// - `strideC`: floats between batch entries of C
    /// - `splits`: K slices; 1 = no split
    /// - `chunk4`: texels of K per slice
    /// - `partial`: 1: write raw partial products (split-K or a sum over the batch)
    /// - `alpha`: weight of A·B
    /// - `beta`: weight of the old C
    public struct Push: PushConstants {
        public static let count = 12
        public var M, N, K4, N4, strideA4, strideB4, strideC, splits, chunk4: Int
        public var partial: UInt32
        public var alpha, beta: Float

        public var values: [ShaderValue] {
            [.count(M), .count(N), .count(K4), .count(N4), .count(strideA4), .count(strideB4), .count(strideC), .count(splits),
             .count(chunk4), .uint(partial), .float(alpha), .float(beta)]
        }
    }

    /// The push constants of `matmul_pack.comp`.
    ///
    /// - `rows`: rows of the source matrix
    /// - `cols`: columns of the source matrix
    /// - `rowsPadded`: rows of the packed matrix
    /// - `colsPadded`: columns of the packed matrix
    /// - `rowStride`: source floats between rows
    /// - `colStride`: source floats between columns
    /// - `srcBatch`: source floats between batch entries
    public struct PackPush: PushConstants {
        public static let count = 7
        public var rows, cols, rowsPadded, colsPadded, rowStride, colStride, srcBatch: Int

        public var values: [ShaderValue] {
            [.count(rows), .count(cols), .count(rowsPadded), .count(colsPadded), .count(rowStride), .count(colStride), .count(srcBatch)]
        }
    }

    /// The specialization constants of `matmul_tiled.comp`.
    public struct TiledSpecialization: SpecializationConstants {
        /// constant_id 3: `BIAS`: 0 none, 1 per row (bias[M]), 2 per column (bias[N]); 0 while writing partial products.
        public var bias: UInt32

        public var values: [ShaderValue] { [.uint(bias)] }
    }

    /// The push constants of `matmul_tiled.comp` (strided operands, no packing).
    ///
    /// - `M`: rows of C
    /// - `N`: columns of C
    /// - `K`: the shared dimension
    /// - `rsA`: floats between rows of A
    /// - `csA`: floats between columns of A
    /// - `rsB`: floats between rows of B
    /// - `csB`: floats between columns of B
    /// - `strideA`: floats between batch entries of A
    /// - `strideB`: floats between batch entries of B
    /// - `strideC`: floats between batch entries of C
    /// - `splits`: K slices; 1 = no split
    /// - `chunk`: elements of K per slice
    /// - `partial`: 1: write raw partial products
    /// - `alpha`: weight of A·B
    /// - `beta`: weight of the old C
    public struct TiledPush: PushConstants {
        public static let count = 15
        public var M, N, K, rsA, csA, rsB, csB, strideA, strideB, strideC, splits, chunk: Int
        public var partial: UInt32
        public var alpha, beta: Float

        public var values: [ShaderValue] {
            [.count(M), .count(N), .count(K), .count(rsA), .count(csA), .count(rsB), .count(csB), .count(strideA), .count(strideB),
             .count(strideC), .count(splits), .count(chunk), .uint(partial), .float(alpha), .float(beta)]
        }
    }

    /// The specialization constants of `matmul_reduce.comp`.
    public struct ReduceSpecialization: SpecializationConstants {
        /// constant_id 3: `BIAS`: 0 none, 1 per row, 2 per column.
        public var bias: UInt32

        public var values: [ShaderValue] { [.uint(bias)] }
    }

    /// The push constants of `matmul_reduce.comp` (the split-K epilogue).
    ///
    /// - `M`: rows of C
    /// - `N`: columns of C
    /// - `splits`: partial products per output
    /// - `strideC`: floats between batch entries of C
    /// - `alpha`: weight of the summed partials
    /// - `beta`: weight of the old C
    public struct ReducePush: PushConstants {
        public static let count = 6
        public var M, N, splits, strideC: Int
        public var alpha, beta: Float

        public var values: [ShaderValue] { [.count(M), .count(N), .count(splits), .count(strideC), .float(alpha), .float(beta)] }
    }
    /// Problem shape. Matrices inside a batch entry are dense: A is [M, K] (or [K, M] when
    /// `transposeA`), B is [K, N] (or [N, K] when `transposeB`), C is [M, N].
    public struct Shape: Sendable, Equatable {
        public var m: Int
        public var n: Int
        public var k: Int
        public var batch: Int
        public var transposeA: Bool
        public var transposeB: Bool
        /// Elements between consecutive batch entries; 0 uses the same matrix for every entry.
        /// Nil means densely packed.
        public var strideA: Int?
        public var strideB: Int?
        public var strideC: Int?
        /// C is one [M, N] matrix receiving the sum of all batch entries' products (e.g. a weight
        /// gradient summed over the samples of a batch); `strideC` is ignored.
        public var sumOverBatch: Bool

        public init(m: Int, n: Int, k: Int, batch: Int = 1, transposeA: Bool = false, transposeB: Bool = false,
                    strideA: Int? = nil, strideB: Int? = nil, strideC: Int? = nil, sumOverBatch: Bool = false) {
            self.m = m
            self.n = n
            self.k = k
            self.batch = batch
            self.transposeA = transposeA
            self.transposeB = transposeB
            self.strideA = strideA
            self.strideB = strideB
            self.strideC = strideC
            self.sumOverBatch = sumOverBatch
        }

        var resolvedStrideA: Int { strideA ?? m * k }
        var resolvedStrideB: Int { strideB ?? k * n }
        var resolvedStrideC: Int { sumOverBatch ? 0 : strideC ?? m * n }
    }

    /// A bias added to every product: one value per row of C (`[M]`, e.g. per output channel of a
    /// convolution) or per column (`[N]`, e.g. per output feature of a linear layer).
    public enum Bias: Sendable {
        case none
        case perRow(Buffer)
        case perColumn(Buffer)

        var mode: UInt32 {
            switch self {
            case .none: return 0
            case .perRow: return 1
            case .perColumn: return 2
            }
        }
    }

    /// Which kernel family to use.
    public enum Variant: String, Sendable {
        /// The device's choice (``KernelChoice/matMulVariant``): texel on lavapipe, tiled on GPUs.
        case automatic
        case texel
        case tiled
    }

    public let device: Device
    /// The family this instance runs (never `.automatic`).
    public let variant: Variant
    private let noBias: Buffer
    /// Rows of C per invocation of the texel kernel (and columns = 4 · vec4Columns).
    static let texelRows = 16
    static let texelVec4Columns = 4
    static let texelLocalX = 8
    static let tiledTile = 64

    public init(device: Device, variant: Variant = .automatic) throws {
        self.device = device
        switch variant {
        case .automatic: self.variant = device.kernelChoice.matMulVariant
        default: self.variant = variant
        }
        noBias = try device.makeBuffer([Float](repeating: 0, count: 4))
    }

    /// Records the product into `stream`. `splitK` forces the number of K slices; by default it is
    /// chosen from the shape so that small output grids still keep the device busy. A, B, C and the bias
    /// hold `precision` values.
    public func encode(into stream: CommandStream, a: Buffer, b: Buffer, c: Buffer, shape: Shape,
                       alpha: Float = 1, beta: Float = 0, bias: Bias = .none, splitK: Int? = nil,
                       precision: Precision = .float32) throws {
        try validate(a: a, b: b, c: c, shape: shape, bias: bias, precision: precision)
        let biasBuffer: Buffer
        switch bias {
        case .none: biasBuffer = noBias
        case .perRow(let buffer), .perColumn(let buffer): biasBuffer = buffer
        }
        switch variant {
        case .tiled: try encodeTiled(stream, a, b, c, shape, alpha, beta, bias.mode, biasBuffer, splitK, precision)
        default: try encodeTexel(stream, a, b, c, shape, alpha, beta, bias.mode, biasBuffer, splitK, precision)
        }
    }

    // MARK: Texel-buffer variant

    private func encodeTexel(_ stream: CommandStream, _ a: Buffer, _ b: Buffer, _ c: Buffer, _ shape: Shape,
                             _ alpha: Float, _ beta: Float, _ biasMode: UInt32, _ bias: Buffer, _ splitK: Int?,
                             _ precision: Precision) throws {
        let (m, n, k, batch) = (shape.m, shape.n, shape.k, shape.batch)
        let k4 = (k + 3) / 4, n4 = (n + 3) / 4
        let texel = precision.byteCount * 4
        let strideA = shape.resolvedStrideA, strideB = shape.resolvedStrideB

        // A as [batch][M][K4] vec4s and B as [batch][4·K4][N4] vec4s, packing when the caller's
        // layout is not already that.
        var packedA = a, strideA4 = strideA / 4
        if shape.transposeA || k % 4 != 0 || strideA % 4 != 0 {
            let entries = strideA == 0 ? 1 : batch
            packedA = try device.makeBuffer(byteCount: entries * m * k4 * texel)
            try pack(stream, from: a, into: packedA, rows: m, cols: k, rowsPadded: m, colsPadded: k4 * 4,
                     rowStride: shape.transposeA ? 1 : k, colStride: shape.transposeA ? m : 1, sourceBatch: strideA, entries: entries,
                     precision: precision)
            strideA4 = strideA == 0 ? 0 : m * k4
        }
        var packedB = b, strideB4 = strideB / 4
        if shape.transposeB || k % 4 != 0 || n % 4 != 0 || strideB % 4 != 0 {
            let entries = strideB == 0 ? 1 : batch
            packedB = try device.makeBuffer(byteCount: entries * k4 * 4 * n4 * texel)
            try pack(stream, from: b, into: packedB, rows: k, cols: n, rowsPadded: k4 * 4, colsPadded: n4 * 4,
                     rowStride: shape.transposeB ? 1 : n, colStride: shape.transposeB ? k : 1, sourceBatch: strideB, entries: entries,
                     precision: precision)
            strideB4 = strideB == 0 ? 0 : k4 * 4 * n4
        }

        // Narrow products (a convolution's weight gradient, N = 64) take fewer columns per invocation so
        // that every lane of a workgroup has columns of its own.
        let rows = Self.texelRows, localX = Self.texelLocalX
        let vec4Columns = n4 >= localX * Self.texelVec4Columns ? Self.texelVec4Columns : n4 >= localX * 2 ? 2 : 1
        let groupsX = (n4 + localX * vec4Columns - 1) / (localX * vec4Columns)
        let groupsY = (m + rows - 1) / rows
        let splits = splitCount(requested: splitK, groups: groupsX * groupsY * batch, depth: k4, minimumDepth: 16,
                                partialBytes: m * n * batch * 4)
        let chunk4 = (k4 + splits - 1) / splits
        let slices = (k4 + chunk4 - 1) / chunk4
        let partial = slices > 1 || (shape.sumOverBatch && batch > 1)
        let (vector, scalar) = (TexelFormat.values(precision, vector: true), TexelFormat.values(precision, vector: false))
        let kernel = try device.kernel(.matmul,
                                       bindings: [.texel(vector), .texel(vector), .storage(.write), .texel(scalar), .texel(scalar)],
                                       pushConstants: Push.self, localSize: [UInt32(localX), 1, 1],
                                       constants: Specialization(tm: rows, nb: vec4Columns, bias: partial ? 0 : biasMode,
                                                                 accumulate: !partial && beta != 0), precision: precision)
        let target = partial ? try device.makeBuffer(byteCount: batch * slices * m * n * 4) : c
        try stream.dispatch(kernel, [packedA, packedB, target, bias, c],
                            push: Push(M: m, N: n, K4: k4, N4: n4, strideA4: strideA4, strideB4: strideB4, strideC: shape.resolvedStrideC,
                                       splits: slices, chunk4: chunk4, partial: partial ? 1 : 0, alpha: alpha, beta: beta),
                            groups: (groupsX, groupsY, batch * slices))
        if partial { try reduce(stream, partials: target, into: c, shape: shape, slices: slices, alpha, beta, biasMode, bias, precision) }
    }

    private func pack(_ stream: CommandStream, from source: Buffer, into destination: Buffer, rows: Int, cols: Int,
                      rowsPadded: Int, colsPadded: Int, rowStride: Int, colStride: Int, sourceBatch: Int, entries: Int,
                      precision: Precision) throws {
        let kernel = try device.kernel(.matmulPack, bindings: [.texel(.values(precision, vector: false)), .storage(.write)],
                                       pushConstants: PackPush.self, localSize: [16, 4, 1], precision: precision)
        try stream.dispatch(kernel, [source, destination],
                            push: PackPush(rows: rows, cols: cols, rowsPadded: rowsPadded, colsPadded: colsPadded, rowStride: rowStride,
                                           colStride: colStride, srcBatch: sourceBatch),
                            groups: kernel.groups(covering: (colsPadded, rowsPadded, entries)))
    }

    // MARK: Tiled variant

    private func encodeTiled(_ stream: CommandStream, _ a: Buffer, _ b: Buffer, _ c: Buffer, _ shape: Shape,
                             _ alpha: Float, _ beta: Float, _ biasMode: UInt32, _ bias: Buffer, _ splitK: Int?,
                             _ precision: Precision) throws {
        let (m, n, k, batch) = (shape.m, shape.n, shape.k, shape.batch)
        let tile = Self.tiledTile
        let groupsX = (n + tile - 1) / tile, groupsY = (m + tile - 1) / tile
        let depth = (k + 15) / 16
        let splits = splitCount(requested: splitK, groups: groupsX * groupsY * batch, depth: depth, minimumDepth: 8,
                                partialBytes: m * n * batch * 4)
        let chunk = (depth + splits - 1) / splits * 16
        let slices = (k + chunk - 1) / chunk
        let partial = slices > 1 || (shape.sumOverBatch && batch > 1)
        let kernel = try device.kernel(.matmulTiled, bindings: [.storage(.read), .storage(.read), .storage(.readWrite),
                                                                .texel(.values(precision, vector: false))],
                                       pushConstants: TiledPush.self, localSize: [16, 16, 1],
                                       constants: TiledSpecialization(bias: partial ? 0 : biasMode), precision: precision)
        let target = partial ? try device.makeBuffer(byteCount: batch * slices * m * n * 4) : c
        try stream.dispatch(kernel, [a, b, target, bias],
                            push: TiledPush(M: m, N: n, K: k, rsA: shape.transposeA ? 1 : k, csA: shape.transposeA ? m : 1,
                                            rsB: shape.transposeB ? 1 : n, csB: shape.transposeB ? k : 1, strideA: shape.resolvedStrideA,
                                            strideB: shape.resolvedStrideB, strideC: shape.resolvedStrideC, splits: slices, chunk: chunk,
                                            partial: partial ? 1 : 0, alpha: alpha, beta: beta),
                            groups: (groupsX, groupsY, batch * slices))
        if partial { try reduce(stream, partials: target, into: c, shape: shape, slices: slices, alpha, beta, biasMode, bias, precision) }
    }

    // MARK: Split-K

    /// Slices of K: as requested, or enough to give the device about `target` workgroups when the
    /// output grid is small and K is deep. Depends only on the shape and the device, so the same
    /// inputs always take the same path (and give the same bits).
    private func splitCount(requested: Int?, groups: Int, depth: Int, minimumDepth: Int, partialBytes: Int) -> Int {
        let limit = max(1, Int(device.info.maxStorageBufferRange) / max(1, partialBytes))
        if let requested { return max(1, min(requested, depth, limit)) }
        let target = device.kernelChoice.matMulSplitTarget
        guard groups < target, depth >= 2 * minimumDepth else { return 1 }
        return max(1, min((target + groups - 1) / groups, depth / minimumDepth, 16, limit))
    }

    private func reduce(_ stream: CommandStream, partials: Buffer, into c: Buffer, shape: Shape, slices: Int,
                        _ alpha: Float, _ beta: Float, _ biasMode: UInt32, _ bias: Buffer, _ precision: Precision) throws {
        let kernel = try device.kernel(.matmulReduce,
                                       bindings: [.texel(.r32f), .storage(.readWrite), .texel(.values(precision, vector: false))],
                                       pushConstants: ReducePush.self, localSize: [64, 1, 1],
                                       constants: ReduceSpecialization(bias: biasMode), precision: precision)
        // Summing over the batch is the same fixed-order reduction with batch · slices partials.
        let (partialCount, outputs) = shape.sumOverBatch ? (shape.batch * slices, 1) : (slices, shape.batch)
        try stream.dispatch(kernel, [partials, c, bias],
                            push: ReducePush(M: shape.m, N: shape.n, splits: partialCount, strideC: shape.resolvedStrideC, alpha: alpha,
                                             beta: beta),
                            groups: kernel.groups(covering: (shape.m * shape.n, outputs, 1)))
    }

    // MARK: Validation

    private func validate(a: Buffer, b: Buffer, c: Buffer, shape: Shape, bias: Bias, precision: Precision) throws {
        let (m, n, k, batch) = (shape.m, shape.n, shape.k, shape.batch)
        let bytes = precision.byteCount, values = precision.isReduced ? "\(precision) values" : "floats"
        let description = "GEMM M=\(m) N=\(n) K=\(k) batch=\(batch)"
        guard m > 0, n > 0, k > 0, batch > 0 else { throw VulkanError.invalidArgument("\(description): sizes must be positive.") }
        let strides = [("A", shape.resolvedStrideA, m * k), ("B", shape.resolvedStrideB, k * n), ("C", shape.resolvedStrideC, m * n)]
        for (name, stride, size) in strides where stride < 0 || (stride > 0 && stride < size)
            || (name == "C" && stride == 0 && batch > 1 && !shape.sumOverBatch) {
            throw VulkanError.invalidArgument("\(description): the batch stride of \(name) (\(stride)) overlaps its \(size)-element matrices.")
        }
        for ((name, stride, size), buffer) in zip(strides, [a, b, c]) {
            let needed = (batch - 1) * stride + size
            guard buffer.byteCount >= needed * bytes else {
                throw VulkanError.invalidArgument(
                    "\(description): \(name) needs \(needed) \(values) but its buffer holds \(buffer.byteCount / bytes).")
            }
        }
        switch bias {
        case .perRow(let buffer) where buffer.byteCount < m * bytes:
            throw VulkanError.invalidArgument(
                "\(description): a per-row bias needs \(m) \(values), its buffer holds \(buffer.byteCount / bytes).")
        case .perColumn(let buffer) where buffer.byteCount < n * bytes:
            throw VulkanError.invalidArgument(
                "\(description): a per-column bias needs \(n) \(values), its buffer holds \(buffer.byteCount / bytes).")
        default: break
        }
    }
}

extension MatMulLauncher {
    /// Unbatched, untransposed convenience: A [M, K] · B [K, N] into C [M, N].
    public func encode(into stream: CommandStream, a: Buffer, b: Buffer, c: Buffer, m: Int, n: Int, k: Int,
                       alpha: Float = 1, beta: Float = 0) throws {
        try encode(into: stream, a: a, b: b, c: c, shape: Shape(m: m, n: n, k: k), alpha: alpha, beta: beta)
    }
}
