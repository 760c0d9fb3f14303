internal import CVulkan
import Foundation

/// A Vulkan device Retort computes on: the chosen GPU (or lavapipe), its memory arena, its compute
/// queue and its pipelines.
///
/// Choice: discrete > integrated > virtual > CPU, first in the loader's order on ties; the
/// `RETORT_DEVICE` environment variable (an index or a name substring) overrides it.
/// `RETORT_VALIDATION=1` turns on the Khronos validation layer with synchronization validation.
/// `RETORT_MEMORY_LIMIT` (bytes, or a size such as `512M`, `4G`) caps the device memory Retort holds.
/// `RETORT_KERNELS` (`gpu`, `cpu`, `auto`) forces the set of kernel variants (``KernelChoice``).
///
/// Why `@unchecked Sendable` is safe: the kernel table is guarded by `lock`, and every other stored
/// property is immutable after `init` and safe to share (the memory arena and the staging transfer
/// lock internally; queue submissions take the context's queue lock). So one device may serve several
/// threads at once, each recording into its own ``CommandStream``.
public final class Device: @unchecked Sendable {
    /// How to open a device.
    public struct Options: Sendable {
        /// Device index or case-insensitive name substring; nil picks automatically.
        public var selector: String?
        /// Enable `VK_LAYER_KHRONOS_validation` (with synchronization validation).
        public var validation: Bool
        /// Where the pipeline cache lives; nil disables persisting it.
        public var cacheDirectory: URL?
        /// Keep tensors in memory the host does not map and copy through a staging buffer, even
        /// where host-visible device memory exists (the path discrete GPUs without ReBAR take).
        public var staging: Bool
        /// The most device memory the arena may hold (bytes); nil leaves it to the driver. An
        /// allocation beyond it throws ``VulkanError/outOfMemory(detail:)`` as a full device would.
        public var memoryLimit: UInt64?
        /// Why `RETORT_MEMORY_LIMIT` could not be read; opening the device throws it.
        var memoryLimitProblem: String?
        /// The kernel variants to run whatever the device (``KernelProfile``); nil picks by driver.
        public var kernels: KernelProfile?
        /// Why `RETORT_KERNELS` could not be read; opening the device throws it.
        var kernelsProblem: VulkanError?

        public init(selector: String? = nil, validation: Bool = false, cacheDirectory: URL? = Device.defaultCacheDirectory(),
                    staging: Bool = false, memoryLimit: UInt64? = nil, kernels: KernelProfile? = nil) {
            self.selector = selector
            self.validation = validation
            self.cacheDirectory = cacheDirectory
            self.staging = staging
            self.memoryLimit = memoryLimit
            self.kernels = kernels
        }

        /// Throws what an environment variable read by ``fromEnvironment(_:)`` got wrong.
        public func validate() throws {
            if let memoryLimitProblem { throw VulkanError.invalidArgument(memoryLimitProblem) }
            if let kernelsProblem { throw kernelsProblem }
        }

        /// Options from `RETORT_DEVICE`, `RETORT_VALIDATION`, `RETORT_MEMORY_LIMIT`, `RETORT_KERNELS` and `XDG_CACHE_HOME`.
        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Options {
            let validation = ["1", "true", "yes", "on"].contains((environment["RETORT_VALIDATION"] ?? "").lowercased())
            var options = Options(selector: environment["RETORT_DEVICE"], validation: validation,
                                  cacheDirectory: PipelineCache.defaultDirectory(environment: environment))
            if let text = environment["RETORT_MEMORY_LIMIT"], !text.isEmpty {
                options.memoryLimit = MemoryArena.bytes(parsing: text)
                if options.memoryLimit == nil {
                    options.memoryLimitProblem = "RETORT_MEMORY_LIMIT=\"\(text)\" is not a size; give bytes or a size such as "
                        + "512M or 4G, or unset it"
                }
            }
            do {
                options.kernels = try KernelProfile.forced(by: environment[KernelProfile.environmentKey])
            } catch {
                options.kernelsProblem = error as? VulkanError
            }
            return options
        }
    }

    /// What the device is; `info.summary` is the line every bug report should contain.
    public let info: DeviceInfo
    /// The variant of each kernel family this device runs, and why; the launchers read it.
    public let kernelChoice: KernelChoice

    let context: DeviceContext
    let arena: MemoryArena
    let transfer: StagingTransfer?
    private let pipelineCache: PipelineCache
    private let lock = NSLock()
    private var kernels: [KernelKey: Kernel] = [:]

    /// Opens the device chosen by the environment (`RETORT_DEVICE`, `RETORT_VALIDATION`).
    public convenience init() throws {
        try self.init(options: .fromEnvironment())
    }

    public init(options: Options) throws {
        try options.validate()
        let instance = try Instance(validation: options.validation)
        let physical = try Self.physicalDevices(instance)
        let chosen = try DeviceInfo.choose(from: physical.map(\.info), selector: options.selector)
        let context = try DeviceContext(instance: instance, physical: physical[chosen.index])
        let layout = context.memoryLayout
        if let direct = layout.directType, !options.staging {
            arena = MemoryArena(context: context, memoryType: direct, hostVisible: true, limit: options.memoryLimit)
            transfer = nil
        } else if let deviceType = layout.deviceType, let stagingType = layout.stagingType {
            arena = MemoryArena(context: context, memoryType: deviceType, hostVisible: false, limit: options.memoryLimit)
            transfer = try StagingTransfer(context: context, stagingType: stagingType)
        } else {
            throw VulkanError.unsupported("\(chosen.name) has no memory type usable for storage buffers")
        }
        self.context = context
        self.info = chosen
        kernelChoice = KernelChoice(device: chosen, forced: options.kernels)
        pipelineCache = PipelineCache(context: context, directory: options.cacheDirectory)
    }

    deinit {
        pipelineCache.save()
    }

    /// `$XDG_CACHE_HOME/retort`, or `~/.cache/retort`: where pipeline caches are kept.
    public static func defaultCacheDirectory() -> URL? { PipelineCache.defaultDirectory() }

    /// Every device the Vulkan loader reports, in its order.
    public static func available(validation: Bool = false) throws -> [DeviceInfo] {
        try physicalDevices(Instance(validation: validation)).map(\.info)
    }

    private static func physicalDevices(_ instance: Instance) throws -> [PhysicalDevice] {
        try instance.physicalDevices().enumerated().map { PhysicalDevice(instance: instance, handle: $1, index: $0) }
    }

    /// Whether buffers are mapped directly (no staging copies).
    public var mapsMemoryDirectly: Bool { transfer == nil }

    /// Whether the validation layer is on for this device.
    public var validationEnabled: Bool { context.instance.validation != nil }

    /// Bytes of device memory reserved in arena blocks.
    public var reservedBytes: UInt64 { arena.reservedBytes }

    /// Bytes of the arena held by live buffers now (each buffer's size rounded up to the arena's alignment).
    public var bytesInUse: UInt64 { arena.usage.inUse }

    /// The most bytes live buffers held at once since the device opened or the last ``resetPeakBytesInUse()``:
    /// a training step's memory high-water mark, read after the step and reset before it.
    public var peakBytesInUse: UInt64 { arena.usage.peak }

    /// Starts a new peak from ``bytesInUse``.
    public func resetPeakBytesInUse() { arena.resetPeak() }

    /// Returns the validation messages since the last call and forgets them (always empty when
    /// validation is off).
    public func drainValidationMessages() -> [String] {
        context.instance.validation?.drain() ?? []
    }

    /// A buffer of `byteCount` bytes (contents undefined).
    public func makeBuffer(byteCount: Int) throws -> Buffer {
        try Buffer(arena: arena, transfer: transfer, byteCount: byteCount)
    }

    /// A buffer holding a copy of `values`.
    public func makeBuffer<T: BitwiseCopyable>(_ values: [T]) throws -> Buffer {
        let buffer = try makeBuffer(byteCount: max(1, values.count) * MemoryLayout<T>.stride)
        try buffer.write(values)
        return buffer
    }

    /// The pipeline for `shader` with this binding layout and specialization, built on first request
    /// and shared afterwards.
    ///
    /// - Parameters:
    ///   - shader: an embedded shader, e.g. ``Shader/matmul``.
    ///   - bindings: the shader's bindings 0, 1, … in order.
    ///   - pushConstants: number of 4-byte push-constant values.
    ///   - localSize: workgroup size (specialization constants 0–2).
    ///   - constants: specialization constants 3, 4, ….
    ///   - subgroups: what the shader assumes about its subgroups; the pipeline requires it where the
    ///     device has subgroup size control (a shader reading `gl_SubgroupInvocationID` gets
    ///     ``SubgroupLayout/full`` without asking).
    public func kernel<S: EmbeddedShader>(_ shader: S, bindings: [Kernel.Binding], pushConstants: Int = 0,
                                          localSize: [UInt32] = [64, 1, 1], constants: [ShaderValue] = [],
                                          precision: Precision = .float32, subgroups: SubgroupLayout = .any) throws -> Kernel {
        try cachedKernel(shader, bindings: bindings, pushConstants: pushConstants, localSize: localSize, constants: constants,
                         precision: precision, subgroups: subgroups)
    }

    /// The pipeline for one of the shipped shaders (see the generic form).
    public func kernel(_ shader: Shader, bindings: [Kernel.Binding], pushConstants: Int = 0, localSize: [UInt32] = [64, 1, 1],
                       constants: [ShaderValue] = [], precision: Precision = .float32, subgroups: SubgroupLayout = .any) throws -> Kernel {
        try cachedKernel(shader, bindings: bindings, pushConstants: pushConstants, localSize: localSize, constants: constants,
                         precision: precision, subgroups: subgroups)
    }

    private func cachedKernel<S: EmbeddedShader>(_ shader: S, bindings: [Kernel.Binding], pushConstants: Int, localSize: [UInt32],
                                                 constants: [ShaderValue], precision: Precision, subgroups: SubgroupLayout) throws -> Kernel {
        if precision.isReduced {
            guard info.has16BitStorage else { throw VulkanError.unsupported(Precision.unsupportedMessage(precision, device: info.name)) }
            guard shader.supports(precision) else {
                throw VulkanError.unsupported("\(shader.name) has no \(precision) variant; run this op in fp32 (--precision fp32)")
            }
        }
        let size = localSize + Array(repeating: 1, count: max(0, 3 - localSize.count))
        let name = shader.name + (precision.shaderSuffix ?? "")
        let key = KernelKey(family: ObjectIdentifier(S.self), name: name, bindings: bindings, pushConstantCount: pushConstants,
                            localSize: size, constants: constants, subgroups: subgroups)
        return try lock.withLock {
            if let kernel = kernels[key] { return kernel }
            let kernel = try Kernel(context: context, cache: pipelineCache.handle, name: name,
                                    spirv: { try shader.spirv(precision: precision) },
                                    bindings: bindings, pushConstantCount: pushConstants, localSize: size, constants: constants,
                                    subgroups: subgroups)
            kernels[key] = kernel
            return kernel
        }
    }

    /// Writes the pipeline cache to disk now (it is also written when the device is released).
    /// Returns why it could not be written, or nil.
    @discardableResult
    public func savePipelineCache() -> String? { pipelineCache.save() }

    /// A new command stream on this device's compute queue.
    public func makeStream(timestamps: Bool = false) throws -> CommandStream {
        try CommandStream(device: self, timestamps: timestamps)
    }
}
