internal import CVulkan
import Foundation

/// A physical device as queried from the instance: its public `DeviceInfo` plus the raw limits and
/// memory layout the runtime needs to create and drive it.
struct PhysicalDevice {
    let handle: VkPhysicalDevice
    let info: DeviceInfo
    let apiVersion: UInt32
    let limits: VkPhysicalDeviceLimits
    let memory: VkPhysicalDeviceMemoryProperties
    /// Compute queue family (compute-only preferred) and its timestamp bits; nil if none.
    let queueFamily: UInt32?
    let timestampValidBits: UInt32
    let extensions: Set<String>

    /// Device extensions to enable for `VK_EXT_subgroup_size_control` (the extension itself before
    /// Vulkan 1.3, nothing once it is core); nil where the device lacks it.
    let subgroupSizeControlExtensions: [String]?

    var hasPushDescriptors: Bool { extensions.contains("VK_KHR_push_descriptor") }
    /// `storageBuffer16BitAccess`: shaders may load and store 16-bit values in storage buffers (the
    /// fp16/bf16 kernel variants need it; it is enabled at device creation when present).
    let has16BitStorage: Bool

    init(instance: Instance, handle: VkPhysicalDevice, index: Int) {
        self.handle = handle
        let fns = instance.functions
        var extensionCount: UInt32 = 0
        var names: Set<String> = []
        if fns.enumerateDeviceExtensionProperties(handle, nil, &extensionCount, nil) == VK_SUCCESS {
            var list = [VkExtensionProperties](repeating: VkExtensionProperties(), count: Int(extensionCount))
            if fns.enumerateDeviceExtensionProperties(handle, nil, &extensionCount, &list) == VK_SUCCESS {
                names = Set(list.prefix(Int(extensionCount)).map { string(fromTuple: $0.extensionName) })
            }
        }
        extensions = names

        var subgroup = VkPhysicalDeviceSubgroupProperties()
        subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES
        var driver = VkPhysicalDeviceDriverProperties()
        driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES
        var maintenance3 = VkPhysicalDeviceMaintenance3Properties()
        maintenance3.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES
        var properties2 = VkPhysicalDeviceProperties2()
        properties2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
        withUnsafeMutablePointer(to: &driver) { driverPointer in
            withUnsafeMutablePointer(to: &maintenance3) { maintenancePointer in
                maintenancePointer.pointee.pNext = UnsafeMutableRawPointer(driverPointer)
                withUnsafeMutablePointer(to: &subgroup) { subgroupPointer in
                    subgroupPointer.pointee.pNext = UnsafeMutableRawPointer(maintenancePointer)
                    properties2.pNext = UnsafeMutableRawPointer(subgroupPointer)
                    fns.getPhysicalDeviceProperties2(handle, &properties2)
                }
            }
        }
        let properties = properties2.properties
        var storage16 = VkPhysicalDevice16BitStorageFeatures()
        storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES
        var features2 = VkPhysicalDeviceFeatures2()
        features2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2
        withUnsafeMutablePointer(to: &storage16) { storagePointer in
            features2.pNext = UnsafeMutableRawPointer(storagePointer)
            fns.getPhysicalDeviceFeatures2(handle, &features2)
        }
        has16BitStorage = storage16.storageBuffer16BitAccess != 0
        apiVersion = properties.apiVersion
        limits = properties.limits
        let core13 = min(properties.apiVersion, instance.apiVersion) >= CVK_API_VERSION_1_3
        let sizeControl = Self.subgroupSizeControl(fns, handle, core: core13, extensions: names)
        subgroupSizeControlExtensions = sizeControl?.extensions

        var memory = VkPhysicalDeviceMemoryProperties()
        fns.getPhysicalDeviceMemoryProperties(handle, &memory)
        self.memory = memory

        var familyCount: UInt32 = 0
        fns.getPhysicalDeviceQueueFamilyProperties(handle, &familyCount, nil)
        var families = [VkQueueFamilyProperties](repeating: VkQueueFamilyProperties(), count: Int(familyCount))
        fns.getPhysicalDeviceQueueFamilyProperties(handle, &familyCount, &families)
        let compute = VK_QUEUE_COMPUTE_BIT.rawValue
        let graphics = VK_QUEUE_GRAPHICS_BIT.rawValue
        // A compute-only family keeps long kernels off the display queue.
        let computeOnly = families.indices.first { families[$0].queueFlags & compute != 0 && families[$0].queueFlags & graphics == 0 }
        let anyCompute = families.indices.first { families[$0].queueFlags & compute != 0 }
        let family = computeOnly ?? anyCompute
        queueFamily = family.map(UInt32.init)
        timestampValidBits = family.map { families[$0].timestampValidBits } ?? 0


        let heaps = withUnsafeBytes(of: memory.memoryHeaps) { raw in
            raw.bindMemory(to: VkMemoryHeap.self).prefix(Int(memory.memoryHeapCount)).map {
                DeviceInfo.Heap(size: $0.size, isDeviceLocal: $0.flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT.rawValue != 0)
            }
        }
        let kind: DeviceInfo.Kind
        switch properties.deviceType {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: kind = .discrete
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: kind = .integrated
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: kind = .virtual
        case VK_PHYSICAL_DEVICE_TYPE_CPU: kind = .cpu
        default: kind = .other
        }
        var unusable: String?
        if properties.apiVersion < CVK_API_VERSION_1_2 {
            unusable = "Vulkan 1.2 or newer is required"
        } else if family == nil {
            unusable = "no compute queue"
        }
        let uuid = withUnsafeBytes(of: properties.pipelineCacheUUID) { $0.map { String(format: "%02x", $0) }.joined() }
        let memoryLayout = MemoryTypeChoice(memory: memory)
        info = DeviceInfo(
            index: index,
            name: string(fromTuple: properties.deviceName),
            kind: kind,
            vendorID: properties.vendorID,
            deviceID: properties.deviceID,
            driverName: string(fromTuple: driver.driverName),
            driverInfo: string(fromTuple: driver.driverInfo),
            driverVersion: properties.driverVersion,
            apiVersion: "\(cvk_version_major(properties.apiVersion)).\(cvk_version_minor(properties.apiVersion)).\(cvk_version_patch(properties.apiVersion))",
            subgroupSize: Int(subgroup.subgroupSize),
            subgroupSizeControl: sizeControl?.control,
            maxSharedMemory: Int(properties.limits.maxComputeSharedMemorySize),
            maxStorageBufferRange: UInt64(properties.limits.maxStorageBufferRange),
            maxMemoryAllocationSize: maintenance3.maxMemoryAllocationSize,
            maxTexelBufferElements: UInt64(properties.limits.maxTexelBufferElements),
            heaps: heaps,
            hasHostVisibleDeviceMemory: memoryLayout.directType != nil,
            isLavapipe: driver.driverID == VK_DRIVER_ID_MESA_LLVMPIPE,
            has16BitStorage: has16BitStorage,
            pipelineCacheUUID: uuid,
            unusableReason: unusable
        )
    }
}

extension PhysicalDevice {
    /// `VK_EXT_subgroup_size_control`'s limits and features, with the extensions that enable it; nil
    /// where the device has neither Vulkan 1.3 nor the extension, or enables none of its features.
    private static func subgroupSizeControl(_ fns: InstanceFunctions, _ handle: VkPhysicalDevice, core: Bool,
                                            extensions: Set<String>) -> (control: SubgroupSizeControl, extensions: [String])? {
        let name = "VK_EXT_subgroup_size_control"
        guard core || extensions.contains(name) else { return nil }
        var limits = VkPhysicalDeviceSubgroupSizeControlProperties(
            sType: VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES, pNext: nil, minSubgroupSize: 0, maxSubgroupSize: 0,
            maxComputeWorkgroupSubgroups: 0, requiredSubgroupSizeStages: 0)
        var features = VkPhysicalDeviceSubgroupSizeControlFeatures(sType: VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES,
                                                                   pNext: nil, subgroupSizeControl: 0, computeFullSubgroups: 0)
        withUnsafeMutablePointer(to: &limits) { limitsPointer in
            withUnsafeMutablePointer(to: &features) { featuresPointer in
                var properties = VkPhysicalDeviceProperties2(sType: VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, pNext: limitsPointer,
                                                             properties: VkPhysicalDeviceProperties())
                fns.getPhysicalDeviceProperties2(handle, &properties)
                var features2 = VkPhysicalDeviceFeatures2(sType: VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, pNext: featuresPointer,
                                                          features: VkPhysicalDeviceFeatures())
                fns.getPhysicalDeviceFeatures2(handle, &features2)
            }
        }
        let compute = limits.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT.rawValue != 0
        let control = SubgroupSizeControl(minSize: Int(limits.minSubgroupSize), maxSize: Int(limits.maxSubgroupSize),
                                          maxComputeWorkgroupSubgroups: Int(limits.maxComputeWorkgroupSubgroups),
                                          requiresSizeInCompute: features.subgroupSizeControl != 0 && compute,
                                          requiresFullSubgroups: features.computeFullSubgroups != 0)
        guard control.requiresSizeInCompute || control.requiresFullSubgroups else { return nil }
        return (control, core ? [] : [name])
    }
}

/// Which memory types the runtime uses: one host-visible device-local type mapped directly where it
/// exists and is big enough, otherwise device-local memory plus a host-visible staging type.
struct MemoryTypeChoice {
    /// Host-visible, coherent, device-local type in a heap large enough to hold tensors.
    let directType: UInt32?
    /// Device-local type for tensors when there is no direct type.
    let deviceType: UInt32?
    /// Host-visible coherent type (cached preferred) for staging.
    let stagingType: UInt32?

    init(memory: VkPhysicalDeviceMemoryProperties) {
        let types = withUnsafeBytes(of: memory.memoryTypes) { Array($0.bindMemory(to: VkMemoryType.self).prefix(Int(memory.memoryTypeCount))) }
        let heaps = withUnsafeBytes(of: memory.memoryHeaps) { Array($0.bindMemory(to: VkMemoryHeap.self).prefix(Int(memory.memoryHeapCount))) }
        let local = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT.rawValue
        let visible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT.rawValue
        let coherent = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT.rawValue
        let cached = VK_MEMORY_PROPERTY_HOST_CACHED_BIT.rawValue
        let largestLocalHeap = heaps.filter { $0.flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT.rawValue != 0 }.map(\.size).max() ?? 0
        func first(_ required: UInt32, where extra: (VkMemoryType) -> Bool = { _ in true }) -> UInt32? {
            types.indices.first { types[$0].propertyFlags & required == required && extra(types[$0]) }.map(UInt32.init)
        }
        // A small BAR window (256 MiB on dGPUs without ReBAR) is not worth mapping tensors into.
        directType = first(local | visible | coherent) { heaps[Int($0.heapIndex)].size >= largestLocalHeap / 2 }
        deviceType = first(local) ?? first(visible | coherent)
        stagingType = first(visible | coherent | cached) ?? first(visible | coherent)
    }
}
