internal import CVulkan
import Foundation

/// Records many dispatches (and copies) into one command buffer and runs them with one submit and
/// one fence wait. A barrier is inserted only before a command that touches a range an earlier
/// unsynchronized command wrote, or writes a range one read: independent dispatches may overlap.
///
/// ```swift
/// let stream = try device.makeStream()
/// try stream.dispatch(kernel, [a, b, c], push: [.count(n)], groups: kernel.groups(covering: (n, 1, 1)))
/// try stream.run()          // submit + wait
/// ```
/// After ``wait()`` returns, the next recorded command starts a new batch in the same stream.
/// A stream records from one thread at a time; use one stream per thread.
///
/// Why `@unchecked Sendable` is safe: by contract, not by a lock. Recording mutates, without a lock,
/// the command buffer and its pool (which Vulkan requires to be externally synchronized), the hazard
/// tracker and the retained objects; so one thread at a time uses a stream: the thread that owns the
/// `Context` (in Retort) it belongs to, or for a bare stream the one that made it. Handing a stream to
/// another thread between batches (after ``wait()``) is safe; using it from two threads at once is
/// not. Submissions of different streams to the shared queue are serialized by the device.
public final class CommandStream: @unchecked Sendable {
    private enum State { case idle, recording, submitted }

    public let device: Device
    private let context: DeviceContext
    private let pool: VkCommandPool
    private let commandBuffer: VkCommandBuffer
    private let fence: VkFence
    private var state = State.idle
    private var hazards = HazardTracker()
    /// Buffers and kernels the pending batch uses, kept alive until it finished.
    private var retained: [AnyObject] = []
    private var boundPipeline: VkPipeline?
    private var descriptorPools: [VkDescriptorPool] = []
    private var descriptorPoolIndex = 0

    private let queryPool: VkQueryPool?
    private let queryCapacity: UInt32
    private var queriesWritten: UInt32 = 0
    private var timedNames: [String] = []

    /// Dispatches recorded in the current (or last) batch.
    public private(set) var dispatchCount = 0
    /// Hazard barriers recorded in the current (or last) batch.
    public private(set) var barrierCount = 0
    /// The names of every kernel this stream has recorded a dispatch of, over all its batches
    /// (`retort selftest` reads it to tell which shipped shaders its cases ran).
    public private(set) var dispatchedKernelNames: Set<String> = []

    init(device: Device, timestamps: Bool, timestampCapacity: Int = 4096) throws {
        self.device = device
        context = device.context
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
        let allocated = fns.allocateCommandBuffers(context.handle, &allocate, &commandBuffer)
        if allocated != VK_SUCCESS { fns.destroyCommandPool(context.handle, pool, nil) }
        try check(allocated, "vkAllocateCommandBuffers")
        self.pool = pool!
        self.commandBuffer = commandBuffer!
        fence = try context.makeFence()

        if timestamps {
            guard context.physical.timestampValidBits > 0, context.limits.timestampPeriod > 0 else {
                throw VulkanError.unsupported("timestamp queries on the compute queue of \(context.info.name)")
            }
            var info = VkQueryPoolCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO
            info.queryType = VK_QUERY_TYPE_TIMESTAMP
            info.queryCount = UInt32(timestampCapacity * 2)
            var queryPool: VkQueryPool?
            try check(fns.createQueryPool(context.handle, &info, nil, &queryPool), "vkCreateQueryPool")
            self.queryPool = queryPool
            queryCapacity = info.queryCount
        } else {
            queryPool = nil
            queryCapacity = 0
        }
    }

    deinit {
        if state == .submitted { try? wait() }
        let fns = context.functions
        if let queryPool { fns.destroyQueryPool(context.handle, queryPool, nil) }
        for pool in descriptorPools { fns.destroyDescriptorPool(context.handle, pool, nil) }
        fns.destroyFence(context.handle, fence, nil)
        fns.destroyCommandPool(context.handle, pool, nil)
    }

    // MARK: Recording

    /// Records one dispatch of `kernel` over `groups` workgroups with `buffers` bound to its
    /// bindings 0, 1, … and `push` as its push constants.
    public func dispatch(_ kernel: Kernel, _ buffers: [Buffer], push: [ShaderValue] = [], groups: (Int, Int, Int)) throws {
        guard kernel.context === context else {
            throw VulkanError.invalidArgument("Kernel \(kernel.name) belongs to another device.")
        }
        guard buffers.count == kernel.bindings.count else {
            throw VulkanError.invalidArgument("Kernel \(kernel.name) has \(kernel.bindings.count) bindings but \(buffers.count) buffers were given.")
        }
        guard push.count == kernel.pushConstantCount else {
            throw VulkanError.invalidArgument("Kernel \(kernel.name) takes \(kernel.pushConstantCount) push constants but \(push.count) were given.")
        }
        let maxGroups = context.limits.maxComputeWorkGroupCount
        for (count, limit) in [(groups.0, maxGroups.0), (groups.1, maxGroups.1), (groups.2, maxGroups.2)] where count < 0 || count > Int(limit) {
            throw VulkanError.invalidArgument("Kernel \(kernel.name): \(groups) workgroups exceed the device limit \(maxGroups).")
        }
        guard groups.0 > 0, groups.1 > 0, groups.2 > 0 else { return }
        dispatchedKernelNames.insert(kernel.name)
        let maxRange = context.info.maxStorageBufferRange
        for (buffer, binding) in zip(buffers, kernel.bindings) {
            guard buffer.context === context else {
                throw VulkanError.invalidArgument("A buffer bound to kernel \(kernel.name) belongs to another device.")
            }
            if case .storage = binding, UInt64(buffer.byteCount) > maxRange {
                let size = DeviceInfo.bytes(UInt64(buffer.byteCount))
                throw VulkanError.outOfMemory(detail: "kernel \(kernel.name) binds a buffer of \(size), "
                                              + "above the device's largest binding (maxStorageBufferRange, \(DeviceInfo.bytes(maxRange)))")
            }
        }

        try beginIfNeeded()
        let reads = zip(buffers, kernel.bindings).filter { $1.reads }.map { Self.range(of: $0.0) }
        let writes = zip(buffers, kernel.bindings).filter { $1.writes }.map { Self.range(of: $0.0) }
        recordBarrierIfNeeded(reads: reads, writes: writes)

        let fns = context.functions
        if boundPipeline != kernel.pipeline {
            fns.cmdBindPipeline(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.pipeline)
            boundPipeline = kernel.pipeline
        }
        try bindDescriptors(kernel, buffers)
        if !push.isEmpty {
            let words = push.map(\.bits)
            words.withUnsafeBytes { bytes in
                fns.cmdPushConstants(commandBuffer, kernel.pipelineLayout, VK_SHADER_STAGE_COMPUTE_BIT.rawValue, 0,
                                      UInt32(bytes.count), bytes.baseAddress)
            }
        }
        let timed = writeTimestamp(VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, ifRoomFor: 2)
        fns.cmdDispatch(commandBuffer, UInt32(groups.0), UInt32(groups.1), UInt32(groups.2))
        if timed {
            _ = writeTimestamp(VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, ifRoomFor: 1)
            timedNames.append(kernel.name)
        }
        retained.append(kernel)
        retained.append(contentsOf: buffers as [AnyObject])
        dispatchCount += 1
    }

    /// Records a copy of `byteCount` bytes (default: all of `source`) from `source` to `destination`.
    public func copy(_ source: Buffer, to destination: Buffer, byteCount: Int? = nil) throws {
        let count = byteCount ?? source.byteCount
        guard count > 0, count <= source.byteCount, count <= destination.byteCount else {
            throw VulkanError.invalidArgument("Copying \(count) bytes from a \(source.byteCount)-byte buffer into a \(destination.byteCount)-byte buffer does not fit.")
        }
        try beginIfNeeded()
        recordBarrierIfNeeded(reads: [Self.range(of: source)], writes: [Self.range(of: destination)])
        var region = VkBufferCopy(srcOffset: source.offset, dstOffset: destination.offset, size: UInt64(count))
        context.functions.cmdCopyBuffer(commandBuffer, source.block.buffer, destination.block.buffer, 1, &region)
        retained.append(contentsOf: [source, destination] as [AnyObject])
    }

    /// Records filling the whole of `buffer` (rounded down to 4 bytes) with a 32-bit pattern.
    public func fill(_ buffer: Buffer, with pattern: UInt32) throws {
        let size = UInt64(buffer.byteCount) / 4 * 4
        guard size > 0 else { throw VulkanError.invalidArgument("Cannot fill a buffer smaller than 4 bytes.") }
        try beginIfNeeded()
        recordBarrierIfNeeded(reads: [], writes: [Self.range(of: buffer)])
        context.functions.cmdFillBuffer(commandBuffer, buffer.block.buffer, buffer.offset, size, pattern)
        retained.append(buffer)
    }

    /// Records filling `buffer` with a float value.
    public func fill(_ buffer: Buffer, with value: Float) throws {
        try fill(buffer, with: value.bitPattern)
    }

    // MARK: Execution

    /// Ends recording and submits the batch to the device's queue. Does nothing for an empty batch.
    public func submit() throws {
        guard state == .recording else { return }
        let fns = context.functions
        // Make this batch's writes visible to host reads (and to later batches).
        globalBarrier(fns, commandBuffer, from: Self.deviceStages,
                      to: VK_PIPELINE_STAGE_HOST_BIT.rawValue | Self.deviceStages)
        try check(fns.endCommandBuffer(commandBuffer), "vkEndCommandBuffer")
        try context.submit(commandBuffer, fence: fence)
        state = .submitted
    }

    /// Blocks until the submitted batch has finished. Does nothing when nothing is in flight.
    public func wait() throws {
        guard state == .submitted else { return }
        defer {
            state = .idle
            retained.removeAll(keepingCapacity: true)
        }
        try context.wait(fence)
    }

    /// Submits and waits.
    public func run() throws {
        try submit()
        try wait()
    }

    /// GPU time of each timed dispatch of the last finished batch, in seconds, with the kernel name.
    /// Empty when the stream was made without timestamps.
    public func dispatchTimes() throws -> [(kernel: String, seconds: Double)] {
        guard let queryPool, queriesWritten > 0, state == .idle else { return [] }
        var values = [UInt64](repeating: 0, count: Int(queriesWritten))
        let result = values.withUnsafeMutableBytes { bytes in
            context.functions.getQueryPoolResults(context.handle, queryPool, 0, queriesWritten, bytes.count, bytes.baseAddress, 8,
                                                   VK_QUERY_RESULT_64_BIT.rawValue | VK_QUERY_RESULT_WAIT_BIT.rawValue)
        }
        try check(result, "vkGetQueryPoolResults")
        let period = Double(context.limits.timestampPeriod) * 1e-9
        return timedNames.indices.map { (timedNames[$0], Double(values[2 * $0 + 1] &- values[2 * $0]) * period) }
    }

    // MARK: Internals

    private static let deviceStages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue | VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue

    private static func range(of buffer: Buffer) -> HazardTracker.Range {
        HazardTracker.Range(block: ObjectIdentifier(buffer.block), start: buffer.offset, end: buffer.offset + buffer.allocation.size)
    }

    private func beginIfNeeded() throws {
        switch state {
        case .recording: return
        case .submitted: try wait()
        case .idle: break
        }
        let fns = context.functions
        try check(fns.resetCommandBuffer(commandBuffer, 0), "vkResetCommandBuffer")
        var begin = VkCommandBufferBeginInfo()
        begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue
        try check(fns.beginCommandBuffer(commandBuffer, &begin), "vkBeginCommandBuffer")
        state = .recording
        hazards.reset()
        boundPipeline = nil
        dispatchCount = 0
        barrierCount = 0
        queriesWritten = 0
        timedNames.removeAll(keepingCapacity: true)
        for pool in descriptorPools { _ = fns.resetDescriptorPool(context.handle, pool, 0) }
        descriptorPoolIndex = 0
        if let queryPool { fns.cmdResetQueryPool(commandBuffer, queryPool, 0, queryCapacity) }
        // Order this batch after earlier batches' device writes (other streams, staging copies).
        globalBarrier(fns, commandBuffer, from: Self.deviceStages, to: Self.deviceStages)
    }

    private func recordBarrierIfNeeded(reads: [HazardTracker.Range], writes: [HazardTracker.Range]) {
        guard hazards.record(reads: reads, writes: writes) else { return }
        globalBarrier(context.functions, commandBuffer, from: Self.deviceStages, to: Self.deviceStages)
        barrierCount += 1
    }

    private func writeTimestamp(_ stage: VkPipelineStageFlagBits, ifRoomFor needed: UInt32) -> Bool {
        guard let queryPool, queriesWritten + needed <= queryCapacity else { return false }
        context.functions.cmdWriteTimestamp(commandBuffer, stage, queryPool, queriesWritten)
        queriesWritten += 1
        return true
    }

    private func bindDescriptors(_ kernel: Kernel, _ buffers: [Buffer]) throws {
        let fns = context.functions
        var bufferInfos: [VkDescriptorBufferInfo] = []
        var views: [VkBufferView?] = []
        for (buffer, binding) in zip(buffers, kernel.bindings) {
            switch binding {
            case .texel(let format):
                views.append(try buffer.texelView(format))
            case .storage:
                bufferInfos.append(VkDescriptorBufferInfo(buffer: buffer.block.buffer, offset: buffer.offset, range: UInt64(buffer.byteCount)))
            }
        }
        let set = kernel.usesPushDescriptors ? nil : try allocateDescriptorSet(kernel.setLayout)
        bufferInfos.withUnsafeBufferPointer { infoPointer in
            views.withUnsafeBufferPointer { viewPointer in
                var nextInfo = 0
                var nextView = 0
                let writes: [VkWriteDescriptorSet] = kernel.bindings.enumerated().map { index, binding in
                    var write = VkWriteDescriptorSet()
                    write.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET
                    write.dstSet = set
                    write.dstBinding = UInt32(index)
                    write.descriptorCount = 1
                    write.descriptorType = binding.descriptorType
                    if case .texel = binding {
                        write.pTexelBufferView = viewPointer.baseAddress! + nextView
                        nextView += 1
                    } else {
                        write.pBufferInfo = infoPointer.baseAddress! + nextInfo
                        nextInfo += 1
                    }
                    return write
                }
                writes.withUnsafeBufferPointer { writePointer in
                    if let push = fns.cmdPushDescriptorSet, kernel.usesPushDescriptors {
                        push(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.pipelineLayout, 0,
                             UInt32(writePointer.count), writePointer.baseAddress)
                    } else {
                        fns.updateDescriptorSets(context.handle, UInt32(writePointer.count), writePointer.baseAddress, 0, nil)
                        var sets: VkDescriptorSet? = set
                        fns.cmdBindDescriptorSets(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.pipelineLayout, 0, 1, &sets, 0, nil)
                    }
                }
            }
        }
    }

    /// Descriptor sets for devices without `VK_KHR_push_descriptor`: handed out from pools that are
    /// reset at the start of every batch.
    private func allocateDescriptorSet(_ layout: VkDescriptorSetLayout) throws -> VkDescriptorSet {
        let fns = context.functions
        while true {
            if descriptorPoolIndex == descriptorPools.count {
                let sets: UInt32 = 256
                var sizes = [VkDescriptorPoolSize(type: VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, descriptorCount: sets * 8),
                             VkDescriptorPoolSize(type: VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, descriptorCount: sets * 8)]
                var info = VkDescriptorPoolCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO
                info.maxSets = sets
                info.poolSizeCount = UInt32(sizes.count)
                var pool: VkDescriptorPool?
                let result = sizes.withUnsafeMutableBufferPointer { pointer in
                    info.pPoolSizes = UnsafePointer(pointer.baseAddress)
                    return fns.createDescriptorPool(context.handle, &info, nil, &pool)
                }
                try check(result, "vkCreateDescriptorPool")
                descriptorPools.append(pool!)
            }
            var layouts: VkDescriptorSetLayout? = layout
            var info = VkDescriptorSetAllocateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO
            info.descriptorPool = descriptorPools[descriptorPoolIndex]
            info.descriptorSetCount = 1
            var set: VkDescriptorSet?
            let result = withUnsafePointer(to: &layouts) { pointer in
                info.pSetLayouts = pointer
                return fns.allocateDescriptorSets(context.handle, &info, &set)
            }
            if result == VK_SUCCESS, let set { return set }
            // This pool is full: move on to the next one (a fresh pool always has room for one set).
            guard descriptorPoolIndex + 1 < descriptorPools.count || result == VK_ERROR_OUT_OF_POOL_MEMORY || result == VK_ERROR_FRAGMENTED_POOL else {
                try check(result, "vkAllocateDescriptorSets")
                throw VulkanError.callFailed(call: "vkAllocateDescriptorSets", code: result.rawValue)
            }
            descriptorPoolIndex += 1
        }
    }
}
