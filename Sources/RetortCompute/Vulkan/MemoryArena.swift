internal import CVulkan
import Foundation

/// One `VkDeviceMemory` allocation with one `VkBuffer` over all of it; tensors are ranges inside.
///
/// Why `@unchecked Sendable` is safe: the Vulkan handles, the size and the mapping are immutable after
/// `init`; the one mutable field, `free`, is read and written only under the owning ``MemoryArena``'s
/// lock. Host access through `mapped` follows ``Buffer``'s rule (no running stream uses the range).
final class MemoryBlock: @unchecked Sendable {
    let context: DeviceContext
    let memory: VkDeviceMemory
    let buffer: VkBuffer
    let size: UInt64
    /// Persistent mapping when the memory type is host-visible.
    let mapped: UnsafeMutableRawPointer?
    /// Free ranges (offset, size), sorted by offset and coalesced. Guarded by the arena's lock.
    var free: [(offset: UInt64, size: UInt64)]

    init(context: DeviceContext, size: UInt64, memoryType: UInt32, hostVisible: Bool) throws {
        let fns = context.functions
        var info = VkBufferCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
        info.size = size
        info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT.rawValue | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT.rawValue
            | VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT.rawValue | VK_BUFFER_USAGE_TRANSFER_SRC_BIT.rawValue
            | VK_BUFFER_USAGE_TRANSFER_DST_BIT.rawValue
        info.sharingMode = VK_SHARING_MODE_EXCLUSIVE
        var buffer: VkBuffer?
        try check(fns.createBuffer(context.handle, &info, nil, &buffer), "vkCreateBuffer")
        var requirements = VkMemoryRequirements()
        fns.getBufferMemoryRequirements(context.handle, buffer, &requirements)
        guard requirements.memoryTypeBits & (1 << memoryType) != 0 else {
            fns.destroyBuffer(context.handle, buffer, nil)
            throw VulkanError.unsupported("storage buffers in memory type \(memoryType)")
        }
        var allocate = VkMemoryAllocateInfo()
        allocate.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
        allocate.allocationSize = requirements.size
        allocate.memoryTypeIndex = memoryType
        var memory: VkDeviceMemory?
        let result = fns.allocateMemory(context.handle, &allocate, nil, &memory)
        guard result == VK_SUCCESS, let memory else {
            fns.destroyBuffer(context.handle, buffer, nil)
            if result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY {
                throw VulkanError.outOfMemory(detail: "the driver has no block of \(DeviceInfo.bytes(size)) left on \(context.info.name)")
            }
            try check(result, "vkAllocateMemory")
            throw VulkanError.callFailed(call: "vkAllocateMemory", code: result.rawValue)
        }
        do {
            try check(fns.bindBufferMemory(context.handle, buffer, memory, 0), "vkBindBufferMemory")
            var pointer: UnsafeMutableRawPointer?
            if hostVisible {
                try check(fns.mapMemory(context.handle, memory, 0, UInt64(VK_WHOLE_SIZE), 0, &pointer), "vkMapMemory")
            }
            mapped = pointer
        } catch {
            fns.destroyBuffer(context.handle, buffer, nil)
            fns.freeMemory(context.handle, memory, nil)
            throw error
        }
        self.context = context
        self.memory = memory
        self.buffer = buffer!
        self.size = size
        self.free = [(0, size)]
    }

    deinit {
        context.functions.destroyBuffer(context.handle, buffer, nil)
        context.functions.freeMemory(context.handle, memory, nil)
    }
}

/// A range of a block handed out by an arena.
struct Allocation {
    let block: MemoryBlock
    let offset: UInt64
    let size: UInt64
}

/// Sub-allocates buffers from big blocks of one memory type: first fit, aligned to the device's
/// storage- and texel-buffer offset alignment, coalescing on free. Blocks are kept for reuse.
/// With a `limit` (`RETORT_MEMORY_LIMIT`), the blocks never hold more than that many bytes together.
/// An allocation that does not fit throws ``VulkanError/outOfMemory(detail:)`` saying how many bytes
/// were needed, how many live buffers hold, and what the device (or the limit) allows.
///
/// Why `@unchecked Sendable` is safe: the block list, and each block's free list, are guarded by
/// `lock`; everything else is immutable after `init`.
final class MemoryArena: @unchecked Sendable {
    let context: DeviceContext
    let memoryType: UInt32
    let hostVisible: Bool
    let blockSize: UInt64
    let alignment: UInt64
    let maxAllocation: UInt64
    /// The most bytes the blocks may hold together; nil leaves it to the driver.
    let limit: UInt64?
    private let lock = NSLock()
    private var blocks: [MemoryBlock] = []
    /// Bytes held by live allocations (aligned sizes), and the most held at once since the last reset.
    private var inUse: UInt64 = 0, peak: UInt64 = 0

    init(context: DeviceContext, memoryType: UInt32, hostVisible: Bool, blockSize: UInt64 = 256 << 20, limit: UInt64? = nil) {
        self.context = context
        self.limit = limit
        self.memoryType = memoryType
        self.hostVisible = hostVisible
        let limits = context.limits
        alignment = max(64, limits.minStorageBufferOffsetAlignment, limits.minTexelBufferOffsetAlignment)
        let maxAllocation = context.info.maxMemoryAllocationSize > 0 ? context.info.maxMemoryAllocationSize : 1 << 30
        self.maxAllocation = maxAllocation
        self.blockSize = min(blockSize, maxAllocation)
    }

    /// A size as `RETORT_MEMORY_LIMIT` takes it: bytes, or a number with a binary suffix K, M, G or T
    /// (`512M`, `1.5G`; `MiB`/`MB` read the same); nil for anything else or for zero.
    static func bytes(parsing text: String) -> UInt64? {
        var number = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where number.hasSuffix(suffix) && number.count > suffix.count {
            number.removeLast(suffix.count)
            break
        }
        var scale = 1.0
        if let last = number.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            scale = pow(1024, Double(power))
            number.removeLast()
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale < 0x1p63 else { return nil }
        return UInt64(value * scale)
    }

    /// Total bytes of device memory held in blocks.
    var reservedBytes: UInt64 { lock.withLock { blocks.reduce(0) { $0 + $1.size } } }

    /// Bytes held by live allocations now, and the most held at once since the last ``resetPeak()``.
    var usage: (inUse: UInt64, peak: UInt64) { lock.withLock { (inUse, peak) } }

    /// Starts a new peak from what is held now.
    func resetPeak() { lock.withLock { peak = inUse } }

    /// Counts an allocation of `size` bytes; the caller holds the lock.
    private func hold(_ size: UInt64) {
        inUse += size
        peak = max(peak, inUse)
    }

    func allocate(_ byteCount: UInt64) throws -> Allocation {
        let size = max(alignment, (byteCount + alignment - 1) / alignment * alignment)
        guard size <= maxAllocation else {
            throw VulkanError.outOfMemory(detail: "a buffer of \(DeviceInfo.bytes(byteCount)) exceeds the device's largest allocation "
                                          + "(\(DeviceInfo.bytes(maxAllocation)))")
        }
        return try lock.withLock {
            for block in blocks {
                if let offset = take(size, from: block) {
                    hold(size)
                    return Allocation(block: block, offset: offset, size: size)
                }
            }
            let reserved = blocks.reduce(0) { $0 + $1.size }
            var blockBytes = max(size, blockSize)
            if let limit {
                guard reserved + size <= limit else {
                    let needed = DeviceInfo.bytes(byteCount), allowed = DeviceInfo.bytes(limit)
                    throw VulkanError.outOfMemory(detail: "a buffer of \(needed) does not fit in the \(allowed) limit "
                                                  + "(RETORT_MEMORY_LIMIT); " + holding(reserved: reserved))
                }
                blockBytes = min(blockBytes, limit - reserved)
            }
            let block: MemoryBlock
            do {
                block = try MemoryBlock(context: context, size: blockBytes, memoryType: memoryType, hostVisible: hostVisible)
            } catch VulkanError.outOfMemory(let detail) {
                throw VulkanError.outOfMemory(detail: "a buffer of \(DeviceInfo.bytes(byteCount)) does not fit: \(detail); "
                                              + holding(reserved: reserved))
            }
            blocks.append(block)
            let offset = take(size, from: block)!
            hold(size)
            return Allocation(block: block, offset: offset, size: size)
        }
    }

    func release(_ allocation: Allocation) {
        lock.withLock {
            inUse -= allocation.size
            let block = allocation.block
            var free = block.free
            let index = free.firstIndex { $0.offset > allocation.offset } ?? free.count
            free.insert((allocation.offset, allocation.size), at: index)
            // Coalesce with the neighbours.
            if index + 1 < free.count, free[index].offset + free[index].size == free[index + 1].offset {
                free[index].size += free[index + 1].size
                free.remove(at: index + 1)
            }
            if index > 0, free[index - 1].offset + free[index - 1].size == free[index].offset {
                free[index - 1].size += free[index].size
                free.remove(at: index)
            }
            block.free = free
            // Dedicated oversized blocks go back to the driver as soon as they are empty.
            if block.size > blockSize, free.count == 1, free[0].size == block.size {
                blocks.removeAll { $0 === block }
            }
        }
    }

    /// What is held now, for an out-of-memory message; the caller holds the lock.
    private func holding(reserved: UInt64) -> String {
        let heap = context.info.heaps.filter(\.isDeviceLocal).map(\.size).max()
        return "live buffers hold \(DeviceInfo.bytes(inUse)) of the \(DeviceInfo.bytes(reserved)) reserved"
            + (heap.map { " (device memory: \(DeviceInfo.bytes($0)))" } ?? "")
    }

    /// First fit inside one block; the caller holds the lock.
    private func take(_ size: UInt64, from block: MemoryBlock) -> UInt64? {
        guard let index = block.free.firstIndex(where: { $0.size >= size }) else { return nil }
        let offset = block.free[index].offset
        if block.free[index].size == size {
            block.free.remove(at: index)
        } else {
            block.free[index].offset += size
            block.free[index].size -= size
        }
        return offset
    }
}
