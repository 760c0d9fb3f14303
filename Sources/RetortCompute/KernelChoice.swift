import Foundation

/// Which variant of each kernel family a device runs, and why: the one place where a launcher's
/// choice depends on the device (its driver, subgroup size, shared memory, subgroup size control).
///
/// A ``Device`` computes it once from its ``DeviceInfo`` and the ``KernelProfile`` (``KernelProfile/automatic(for:)``,
/// or the one `RETORT_KERNELS` forces); the launchers read their decisions from
/// ``Device/kernelChoice``, and `retort devices --verbose` prints ``families``. Choices that depend
/// only on the shapes (Winograd's channel rule, the pooling 2×2 path, block sizes per layer) stay in
/// their launchers and are described here.
public struct KernelChoice: Sendable, Equatable {
    /// One kernel family's variant on the device and the reason for it.
    public struct Family: Sendable, Equatable {
        /// The family (`gemm`, `conv2d`, …).
        public var name: String
        public var variant: String
        public var reason: String
    }

    /// The set of variants, and why (driver, or `RETORT_KERNELS`).
    public let profile: KernelProfile
    public let profileReason: String
    /// GEMM: ``MatMulLauncher/Variant/texel`` or ``MatMulLauncher/Variant/tiled`` (never `automatic`).
    public let matMulVariant: MatMulLauncher.Variant
    /// GEMM split-K: slice K while the output grid has fewer workgroups than this.
    public let matMulSplitTarget: Int
    /// Invocations per workgroup of the direct and Winograd convolution kernels.
    public let convolutionLanes: Int
    /// Weight gradients: split the rows until about this many invocations run.
    public let convolutionFilterTarget: Int
    /// 1×1 convolutions run as a GEMM (``MatMulLauncher``) rather than the direct kernel.
    public let pointwiseConvolutionAsGEMM: Bool
    /// Winograd: scratch bytes a chunk of images may use (nil: the whole batch per dispatch).
    public let winogradChunkBytes: Int?
    /// Invocations per channel workgroup of training-mode batch norm and its backward pass.
    public let batchNormLanes: Int
    /// How the softmax family (softmax, KL, cross-entropy) maps rows onto invocations.
    public let softmaxRowMapping: SoftmaxRowMapping
    /// Subgroup size control as the device offers it (nil: none).
    public let subgroupSizeControl: SubgroupSizeControl?
    /// The device it was made for, and its host's cores.
    private let device: DeviceInfo
    private let processors: Int

    /// Bytes of shared memory the tiled GEMM stages per workgroup (`matmul_tiled.comp`: A and B
    /// slices of 16 × 64 floats).
    static let tiledGEMMSharedBytes = 2 * 16 * MatMulLauncher.tiledTile * 4

    /// - Parameters:
    ///   - device: what the device is.
    ///   - forced: the profile `RETORT_KERNELS` forces; nil picks ``KernelProfile/automatic(for:)``.
    ///   - processors: host cores (lavapipe's threads; sizes split-K on a CPU driver).
    public init(device: DeviceInfo, forced: KernelProfile? = nil, processors: Int = ProcessInfo.processInfo.activeProcessorCount) {
        let profile = forced ?? KernelProfile.automatic(for: device)
        let cpu = profile == .cpu
        self.profile = profile
        if let forced {
            profileReason = "\(KernelProfile.environmentKey)=\(forced.rawValue)"
        } else {
            profileReason = device.isLavapipe ? "lavapipe (Mesa's CPU driver): workgroups run as CPU tasks in \(device.subgroupSize)-lane "
                + "SIMD steps, texel fetches are calls, barriers switch coroutines" : "a GPU driver (not lavapipe)"
        }
        matMulVariant = !cpu && device.maxSharedMemory >= Self.tiledGEMMSharedBytes ? .tiled : .texel
        matMulSplitTarget = cpu ? 4 * max(processors, 1) : 256
        convolutionLanes = cpu ? 8 : 64
        convolutionFilterTarget = cpu ? 256 : 16_384
        pointwiseConvolutionAsGEMM = !cpu
        winogradChunkBytes = cpu ? Conv2dLauncher.WinogradPass.cacheBytes : nil
        batchNormLanes = cpu ? 8 : 256
        softmaxRowMapping = cpu ? .subgroupPerRow(rowsPerWorkgroup: 8) : .workgroupPerRow(lanes: 64)
        subgroupSizeControl = device.subgroupSizeControl
        self.device = device
        self.processors = processors
    }

    /// Every family with its variant and reason, in the order `retort devices --verbose` prints them:
    /// each variant as chosen above, with the measurements or limits behind it.
    public var families: [Family] {
        let c = self, cpu = profile == .cpu, subgroup = device.subgroupSize
        let shared = DeviceInfo.bytes(UInt64(device.maxSharedMemory)), tiledBytes = DeviceInfo.bytes(UInt64(Self.tiledGEMMSharedBytes))
        let gemm = c.matMulVariant == .tiled
            ? Family(name: "gemm", variant: "tiled: 64×64 tiles staged in shared memory, 16×16 workgroups",
                     reason: "coalesced loads, \(tiledBytes) of the device's \(shared) shared memory per workgroup")
            : Family(name: "gemm", variant: "texel: 16×16 register blocks, RGBA32F texel reads, 8-lane workgroups",
                     reason: cpu ? "no shared memory or barriers; 4 floats per texel fetch (a call on a CPU driver)"
                         : "the tiled kernel needs \(tiledBytes) of shared memory, the device has \(shared)")
        let splitWhy = cpu ? "4 × \(processors) cores: a task per thread of the CPU driver" : "keeps a GPU's compute units busy"
        let lanes = c.convolutionLanes
        let lanesWhy = cpu ? "one SIMD step per workgroup, many multiply-adds per texel fetch"
            : "\(lanes) lanes: \(max(1, lanes / max(subgroup, 1))) subgroup(s) of \(subgroup) per workgroup"
        let winogradChunk = c.winogradChunkBytes.map { "chunks of \(DeviceInfo.bytes(UInt64($0))) of images per dispatch" }
            ?? "the whole batch per dispatch"
        let softmax: Family
        switch c.softmaxRowMapping {
        case .subgroupPerRow(let rows):
            softmax = Family(name: "softmax, KL, cross-entropy",
                             variant: "one subgroup (\(subgroup) lanes) per row, \(rows) rows per workgroup",
                             reason: "subgroup operations only, no shared memory or barrier (10–20× faster than a row per invocation on "
                                 + "lavapipe); " + Self.guarantee(.exactly(subgroup), [UInt32(subgroup), UInt32(rows), 1], device))
        default:
            softmax = Family(name: "softmax, KL, cross-entropy", variant: "one 64-lane workgroup per row",
                             reason: "coalesced loads; subgroups combine through shared memory whatever their size")
        }
        return [
            gemm,
            Family(name: "gemm split-K", variant: "up to 16 K slices while the grid has fewer than \(c.matMulSplitTarget) workgroups",
                   reason: splitWhy + "; partial products summed in a fixed order"),
            Family(name: "conv2d", variant: "implicit GEMM, \(lanes)-lane workgroups, register blocks of up to 8 channels × 16 columns, "
                       + "packed weights", reason: lanesWhy),
            Family(name: "conv2d 1×1", variant: c.pointwiseConvolutionAsGEMM ? "as a GEMM (\(c.matMulVariant.rawValue))" : "direct kernel",
                   reason: c.pointwiseConvolutionAsGEMM ? "a pointwise convolution is a GEMM; the GEMM kernel is the faster one here"
                       : "reads the image in place, no packing pass (the texel GEMM would pack it)"),
            Family(name: "conv2d weight gradient",
                   variant: "rows split until about \(c.convolutionFilterTarget) invocations, at most 64 splits",
                   reason: "fixed-order partial sums, added by a second pass; " + (cpu ? "enough tasks for the CPU's threads"
                       : "enough workgroups for a GPU")),
            Family(name: "conv2d Winograd", variant: "F(4×4, 3×3) or F(2×2, 3×3) for 3×3 stride-1 layers with ≥ 32 channels, "
                       + "\(lanes)-lane workgroups, " + winogradChunk,
                   reason: "measured rule (RETORT_CONV forces an algorithm); " + (cpu ? "a chunk's tiles stay in the CPU caches"
                       : "one large dispatch fills a GPU")),
            Family(name: "batch norm", variant: "\(c.batchNormLanes) lanes per channel workgroup",
                   reason: cpu ? "long loops in one SIMD step measured 1.5× cheaper than 64 lanes"
                       : "a wide workgroup reduces a channel's N·H·W values in shared memory"),
            softmax,
            Family(name: "element-wise, copies, optimizers", variant: "one span per subgroup, 64-wide workgroups",
                   reason: "lanes interleave within a span; " + Self.guarantee(.full, [64, 1, 1], device)),
            Family(name: "pooling", variant: "2×2 stride-2 windows on rows of a multiple of 8: vec4 kernel; other windows: 4 outputs "
                       + "per invocation, 64-wide workgroups", reason: "a rule on the shapes, the same on every device"),
        ]
    }

    /// How the pipelines of a kernel assuming `layout` guarantee it on `device`.
    private static func guarantee(_ layout: SubgroupLayout, _ localSize: [UInt32], _ device: DeviceInfo) -> String {
        guard let request = device.subgroupSizeControl?.request(for: layout, localSize: localSize, defaultSize: device.subgroupSize),
              request != .none else {
            return "no subgroup size control: relies on the driver forming full subgroups of \(device.subgroupSize)"
        }
        let size = request.requiredSize.map { " of \($0)" } ?? ""
        return request.fullSubgroups ? "pipelines require full subgroups\(size)" : "pipelines require subgroups\(size)"
    }
}
