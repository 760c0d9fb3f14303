internal import CVulkan
import Foundation

/// The logical device and everything created with it that all runtime objects share: the
/// entry points, the compute queue, the limits. Buffers, kernels and streams hold it strongly, so the
/// `VkDevice` is destroyed only after the last of them.
///
/// Why `@unchecked Sendable` is safe: every stored property is immutable after `init`. The queue, the
/// one shared Vulkan object that needs external synchronization, is submitted to only under
/// `queueLock`; every object created from the device is synchronized by its owner (a stream's pool,
/// command buffer and fence by that stream's one-thread contract, the staging ones by
/// ``StagingTransfer``'s lock, the memory blocks by ``MemoryArena``'s).
final class DeviceContext: @unchecked Sendable {
    let instance: Instance
    let physical: PhysicalDevice
    let handle: VkDevice
    let functions: DeviceFunctions
    let queue: VkQueue
    let queueFamily: UInt32
    let memoryLayout: MemoryTypeChoice
    /// `vkQueueSubmit` needs external synchronization.
    let queueLock = NSLock()

    var limits: VkPhysicalDeviceLimits { physical.limits }
    var info: DeviceInfo { physical.info }

    init(instance: Instance, physical: PhysicalDevice) throws {
        guard let family = physical.queueFamily else { throw VulkanError.unsupported("\(physical.info.name) has no compute queue") }
        var extensions: [String] = []
        if physical.hasPushDescriptors { extensions.append("VK_KHR_push_descriptor") }
        extensions += physical.subgroupSizeControlExtensions ?? []
        // Kernels that assume a subgroup layout require it (``SubgroupLayout``): enable what the device offers.
        var sizeControl = VkPhysicalDeviceSubgroupSizeControlFeatures()
        sizeControl.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES
        if let control = physical.info.subgroupSizeControl {
            sizeControl.subgroupSizeControl = VkBool32(control.requiresSizeInCompute ? VK_TRUE : VK_FALSE)
            sizeControl.computeFullSubgroups = VkBool32(control.requiresFullSubgroups ? VK_TRUE : VK_FALSE)
        }
        let enablesSizeControl = physical.subgroupSizeControlExtensions != nil

        // 16-bit storage for the fp16/bf16 kernel variants, where the device has it.
        var storage16 = VkPhysicalDevice16BitStorageFeatures()
        storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES
        storage16.storageBuffer16BitAccess = physical.has16BitStorage ? 1 : 0
        var priority: Float = 1
        var queueInfo = VkDeviceQueueCreateInfo()
        queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO
        queueInfo.queueFamilyIndex = family
        queueInfo.queueCount = 1
        var created: VkDevice?
        let result = withUnsafePointer(to: &priority) { priorityPointer in
            queueInfo.pQueuePriorities = priorityPointer
            return withUnsafePointer(to: &queueInfo) { queuePointer in
                withCStringArray(extensions) { names, count in
                    var info = VkDeviceCreateInfo()
                    info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO
                    info.queueCreateInfoCount = 1
                    info.pQueueCreateInfos = queuePointer
                    info.enabledExtensionCount = count
                    info.ppEnabledExtensionNames = names
                    return withUnsafeMutablePointer(to: &sizeControl) { features in
                        storage16.pNext = enablesSizeControl ? UnsafeMutableRawPointer(features) : nil
                        return withUnsafePointer(to: &storage16) { storagePointer in
                            info.pNext = UnsafeRawPointer(storagePointer)
                            return instance.functions.createDevice(physical.handle, &info, nil, &created)
                        }
                    }
                }
            }
        }
        try check(result, "vkCreateDevice")
        guard let device = created else { throw VulkanError.callFailed(call: "vkCreateDevice", code: -3) }
        let functions: DeviceFunctions
        do {
            functions = try DeviceFunctions(instance: instance.functions, device: device, pushDescriptors: physical.hasPushDescriptors)
        } catch {
            if let destroy: PFN_vkDestroyDevice = try? instance.loader.function("vkDestroyDevice", instance: instance.handle) { destroy(device, nil) }
            throw error
        }
        var queue: VkQueue?
        functions.getDeviceQueue(device, family, 0, &queue)

        self.instance = instance
        self.physical = physical
        self.handle = device
        self.functions = functions
        self.queue = queue!
        self.queueFamily = family
        self.memoryLayout = MemoryTypeChoice(memory: physical.memory)
    }

    deinit {
        _ = functions.deviceWaitIdle(handle)
        functions.destroyDevice(handle, nil)
    }

    /// Submits one command buffer and blocks until it finished.
    func submitAndWait(_ commandBuffer: VkCommandBuffer, fence: VkFence) throws {
        try submit(commandBuffer, fence: fence)
        try wait(fence)
    }

    func submit(_ commandBuffer: VkCommandBuffer, fence: VkFence) throws {
        var buffer: VkCommandBuffer? = commandBuffer
        var info = VkSubmitInfo()
        info.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO
        info.commandBufferCount = 1
        let result = withUnsafePointer(to: &buffer) { pointer in
            info.pCommandBuffers = pointer
            return queueLock.withLock { functions.queueSubmit(queue, 1, &info, fence) }
        }
        try check(result, "vkQueueSubmit")
    }

    func wait(_ fence: VkFence) throws {
        var fences: VkFence? = fence
        try check(functions.waitForFences(handle, 1, &fences, VkBool32(VK_TRUE), UInt64.max), "vkWaitForFences")
        try check(functions.resetFences(handle, 1, &fences), "vkResetFences")
    }

    func makeFence() throws -> VkFence {
        var info = VkFenceCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO
        var fence: VkFence?
        try check(functions.createFence(handle, &info, nil, &fence), "vkCreateFence")
        return fence!
    }
}
