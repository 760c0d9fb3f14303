internal import CVulkan
import Foundation

/// Host ↔ device copies for memory the host cannot map: through a reusable host-visible staging
/// block, in chunks, one submit per chunk. Not used where device memory is mapped directly.
///
/// Why `@unchecked Sendable` is safe: the staging block, command buffer and fence are used only inside
/// `lock`, so uploads and downloads from different threads take turns; the rest is immutable after `init`.
final class StagingTransfer: @unchecked Sendable {
    private let context: DeviceContext
    private let staging: MemoryBlock
    private let pool: VkCommandPool
    private let commandBuffer: VkCommandBuffer
    private let fence: VkFence
    private let lock = NSLock()

    init(context: DeviceContext, stagingType: UInt32, size: UInt64 = 32 << 20) throws {
        self.context = context
        staging = try MemoryBlock(context: context, size: size, memoryType: stagingType, hostVisible: true)
        let fns = context.functions
        var poolInfo = VkCommandPoolCreateInfo()
        poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO
        poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT.rawValue
        poolInfo.queueFamilyIndex = context.queueFamily
        var pool: VkCommandPool?
        try check(fns.createCommandPool(context.handle, &poolInfo, nil, &pool), "vkCreateCommandPool")
        var allocate = VkCommandBufferAllocateInfo()
        allocate.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO
        allocate.commandPool = pool
        allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY
        allocate.commandBufferCount = 1
        var commandBuffer: VkCommandBuffer?
        try check(fns.allocateCommandBuffers(context.handle, &allocate, &commandBuffer), "vkAllocateCommandBuffers")
        self.pool = pool!
        self.commandBuffer = commandBuffer!
        fence = try context.makeFence()
    }

    deinit {
        context.functions.destroyFence(context.handle, fence, nil)
        context.functions.destroyCommandPool(context.handle, pool, nil)
    }

    /// Copies `bytes` into `block` at `offset`.
    func upload(_ bytes: UnsafeRawBufferPointer, to block: MemoryBlock, offset: UInt64) throws {
        try lock.withLock {
            var done = 0
            while done < bytes.count {
                let chunk = min(bytes.count - done, Int(staging.size))
                staging.mapped!.copyMemory(from: bytes.baseAddress! + done, byteCount: chunk)
                try copy(from: staging.buffer, 0, to: block.buffer, offset + UInt64(done), size: UInt64(chunk))
                done += chunk
            }
        }
    }

    /// Copies from `block` at `offset` into `bytes`.
    func download(from block: MemoryBlock, offset: UInt64, into bytes: UnsafeMutableRawBufferPointer) throws {
        try lock.withLock {
            var done = 0
            while done < bytes.count {
                let chunk = min(bytes.count - done, Int(staging.size))
                try copy(from: block.buffer, offset + UInt64(done), to: staging.buffer, 0, size: UInt64(chunk))
                (bytes.baseAddress! + done).copyMemory(from: staging.mapped!, byteCount: chunk)
                done += chunk
            }
        }
    }

    private func copy(from source: VkBuffer, _ sourceOffset: UInt64, to destination: VkBuffer, _ destinationOffset: UInt64, size: UInt64) throws {
        let fns = context.functions
        try check(fns.resetCommandBuffer(commandBuffer, 0), "vkResetCommandBuffer")
        var begin = VkCommandBufferBeginInfo()
        begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue
        try check(fns.beginCommandBuffer(commandBuffer, &begin), "vkBeginCommandBuffer")
        // Earlier device work on these ranges (other streams, already waited on) is complete, but
        // make its writes available to the transfer and the copy's writes visible to the host.
        globalBarrier(fns, commandBuffer,
                      from: VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue | VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue | VK_PIPELINE_STAGE_HOST_BIT.rawValue,
                      to: VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue)
        var region = VkBufferCopy(srcOffset: sourceOffset, dstOffset: destinationOffset, size: size)
        fns.cmdCopyBuffer(commandBuffer, source, destination, 1, &region)
        globalBarrier(fns, commandBuffer, from: VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue,
                      to: VK_PIPELINE_STAGE_HOST_BIT.rawValue | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue)
        try check(fns.endCommandBuffer(commandBuffer), "vkEndCommandBuffer")
        try context.submitAndWait(commandBuffer, fence: fence)
    }
}

/// One global memory barrier between two stage sets: the writes of the source stages are made
/// available to, and visible for, every read and write of the destination stages.
func globalBarrier(_ fns: DeviceFunctions, _ commandBuffer: VkCommandBuffer, from source: UInt32, to destination: UInt32) {
    func access(_ stages: UInt32, writesOnly: Bool) -> UInt32 {
        var mask: UInt32 = 0
        if stages & VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue != 0 {
            mask |= VK_ACCESS_SHADER_WRITE_BIT.rawValue | (writesOnly ? 0 : VK_ACCESS_SHADER_READ_BIT.rawValue)
        }
        if stages & VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue != 0 {
            mask |= VK_ACCESS_TRANSFER_WRITE_BIT.rawValue | (writesOnly ? 0 : VK_ACCESS_TRANSFER_READ_BIT.rawValue)
        }
        if stages & VK_PIPELINE_STAGE_HOST_BIT.rawValue != 0 {
            mask |= VK_ACCESS_HOST_WRITE_BIT.rawValue | (writesOnly ? 0 : VK_ACCESS_HOST_READ_BIT.rawValue)
        }
        return mask
    }
    var barrier = VkMemoryBarrier()
    barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
    barrier.srcAccessMask = access(source, writesOnly: true)
    barrier.dstAccessMask = access(destination, writesOnly: false)
    fns.cmdPipelineBarrier(commandBuffer, source, destination, 0, 1, &barrier, 0, nil, 0, nil)
}
