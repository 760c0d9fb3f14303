internal import CVulkan
import Foundation

/// How a kernel reads a buffer through a texel-buffer view.
public enum TexelFormat: Sendable, Hashable {
    /// One `float` per texel (`samplerBuffer`, `.x`).
    case r32f
    /// Four consecutive `float`s per texel (`samplerBuffer`, `vec4`): the fastest read path on lavapipe.
    case rgba32f
    /// One `uint` per texel (`usamplerBuffer`).
    case r32ui
    /// One `int` per texel (`isamplerBuffer`).
    case r32i
    /// One fp16 value per texel, read as `float` (`samplerBuffer`).
    case r16f
    /// Four fp16 values per texel, read as `vec4` (`samplerBuffer`).
    case rgba16f
    /// One 16-bit word per texel (`usamplerBuffer`): bf16, widened by the shader (`precision.glsl`).
    case r16ui
    /// Four 16-bit words per texel (`usamplerBuffer`, `uvec4`): bf16.
    case rgba16ui

    /// The format a kernel reads `precision` values through: one per texel, or four with `vector`.
    public static func values(_ precision: Precision, vector: Bool) -> TexelFormat {
        switch precision {
        case .float32: return vector ? .rgba32f : .r32f
        case .float16: return vector ? .rgba16f : .r16f
        case .bfloat16: return vector ? .rgba16ui : .r16ui
        }
    }

    var bytesPerTexel: UInt64 {
        switch self {
        case .rgba32f: return 16
        case .r32f, .r32ui, .r32i: return 4
        case .r16f, .r16ui: return 2
        case .rgba16f, .rgba16ui: return 8
        }
    }

    var vulkanFormat: VkFormat {
        switch self {
        case .r32f: return VK_FORMAT_R32_SFLOAT
        case .rgba32f: return VK_FORMAT_R32G32B32A32_SFLOAT
        case .r32ui: return VK_FORMAT_R32_UINT
        case .r32i: return VK_FORMAT_R32_SINT
        case .r16f: return VK_FORMAT_R16_SFLOAT
        case .rgba16f: return VK_FORMAT_R16G16B16A16_SFLOAT
        case .r16ui: return VK_FORMAT_R16_UINT
        case .rgba16ui: return VK_FORMAT_R16G16B16A16_UINT
        }
    }
}

/// Device memory holding `byteCount` bytes: a range inside one of the device's arena blocks.
///
/// Reads and writes from the host are synchronous: call them only when no submitted stream that
/// uses this buffer is still running (``CommandStream/wait()`` returned).
///
/// Why `@unchecked Sendable` is safe: the allocation is immutable after `init` and the texel-view table
/// is guarded by `lock`; the contents follow the rule above, which the caller upholds (in practice by
/// reading and writing only after the ``CommandStream`` that used the buffer waited). A stream keeps
/// every buffer of its pending batch alive, so the memory is released only when no batch uses it.
public final class Buffer: @unchecked Sendable {
    let arena: MemoryArena
    let allocation: Allocation
    private let transfer: StagingTransfer?
    private let lock = NSLock()
    private var views: [TexelFormat: VkBufferView] = [:]

    /// The size requested, in bytes.
    public let byteCount: Int

    var context: DeviceContext { arena.context }
    var block: MemoryBlock { allocation.block }
    var offset: UInt64 { allocation.offset }

    init(arena: MemoryArena, transfer: StagingTransfer?, byteCount: Int) throws {
        guard byteCount > 0 else { throw VulkanError.invalidArgument("A buffer needs at least one byte (asked for \(byteCount)).") }
        self.arena = arena
        self.transfer = transfer
        self.byteCount = byteCount
        allocation = try arena.allocate(UInt64(byteCount))
    }

    deinit {
        for view in views.values { context.functions.destroyBufferView(context.handle, view, nil) }
        arena.release(allocation)
    }

    /// Copies `values` into the buffer starting at element `index` (in units of `T`).
    public func write<T: BitwiseCopyable>(_ values: [T], at index: Int = 0) throws {
        let start = index * MemoryLayout<T>.stride
        let length = values.count * MemoryLayout<T>.stride
        guard index >= 0, start + length <= byteCount else {
            throw VulkanError.invalidArgument("Writing \(values.count) × \(T.self) at element \(index) overruns a buffer of \(byteCount) bytes.")
        }
        try values.withUnsafeBytes { bytes in
            if let mapped = block.mapped {
                (mapped + Int(offset) + start).copyMemory(from: bytes.baseAddress!, byteCount: length)
            } else if let transfer {
                try transfer.upload(bytes, to: block, offset: offset + UInt64(start))
            }
        }
    }

    /// Copies `count` elements of `T` out of the buffer, starting at element `index`.
    /// With no count, reads to the end of the buffer.
    public func read<T: BitwiseCopyable>(_ type: T.Type = T.self, count: Int? = nil, at index: Int = 0) throws -> [T] {
        let stride = MemoryLayout<T>.stride
        let count = count ?? (byteCount / stride - index)
        let start = index * stride
        guard index >= 0, count >= 0, start + count * stride <= byteCount else {
            throw VulkanError.invalidArgument("Reading \(count) × \(T.self) at element \(index) overruns a buffer of \(byteCount) bytes.")
        }
        guard count > 0 else { return [] }
        return try [T](unsafeUninitializedCapacity: count) { output, initialized in
            let bytes = UnsafeMutableRawBufferPointer(output)
            if let mapped = block.mapped {
                bytes.baseAddress!.copyMemory(from: mapped + Int(offset) + start, byteCount: count * stride)
            } else if let transfer {
                try transfer.download(from: block, offset: offset + UInt64(start), into: bytes)
            }
            initialized = count
        }
    }

    /// A texel-buffer view of the whole buffer, created on first use and kept until the buffer dies.
    func texelView(_ format: TexelFormat) throws -> VkBufferView {
        try lock.withLock {
            if let view = views[format] { return view }
            let texel = format.bytesPerTexel
            let range = min((UInt64(byteCount) + texel - 1) / texel * texel, allocation.size / texel * texel)
            let limit = context.info.maxTexelBufferElements
            guard range / texel <= limit else {
                throw VulkanError.invalidArgument("A texel view of \(range / texel) texels exceeds the device limit of \(limit); split the tensor or bind it as a storage buffer.")
            }
            var info = VkBufferViewCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO
            info.buffer = block.buffer
            info.format = format.vulkanFormat
            info.offset = offset
            info.range = range
            var view: VkBufferView?
            try check(context.functions.createBufferView(context.handle, &info, nil, &view), "vkCreateBufferView")
            views[format] = view!
            return view!
        }
    }
}
