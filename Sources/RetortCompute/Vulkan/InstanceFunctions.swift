internal import CVulkan

/// Global and instance-level Vulkan entry points, loaded through `vkGetInstanceProcAddr`.
struct GlobalFunctions {
    let createInstance: PFN_vkCreateInstance
    let enumerateInstanceVersion: PFN_vkEnumerateInstanceVersion?
    let enumerateInstanceLayerProperties: PFN_vkEnumerateInstanceLayerProperties
    let enumerateInstanceExtensionProperties: PFN_vkEnumerateInstanceExtensionProperties

    init(loader: Loader) throws {
        createInstance = try loader.function("vkCreateInstance")
        enumerateInstanceVersion = try? loader.function("vkEnumerateInstanceVersion")
        enumerateInstanceLayerProperties = try loader.function("vkEnumerateInstanceLayerProperties")
        enumerateInstanceExtensionProperties = try loader.function("vkEnumerateInstanceExtensionProperties")
    }
}

struct InstanceFunctions {
    let destroyInstance: PFN_vkDestroyInstance
    let enumeratePhysicalDevices: PFN_vkEnumeratePhysicalDevices
    let getPhysicalDeviceProperties: PFN_vkGetPhysicalDeviceProperties
    let getPhysicalDeviceProperties2: PFN_vkGetPhysicalDeviceProperties2
    let getPhysicalDeviceFeatures2: PFN_vkGetPhysicalDeviceFeatures2
    let getPhysicalDeviceMemoryProperties: PFN_vkGetPhysicalDeviceMemoryProperties
    let getPhysicalDeviceQueueFamilyProperties: PFN_vkGetPhysicalDeviceQueueFamilyProperties
    let enumerateDeviceExtensionProperties: PFN_vkEnumerateDeviceExtensionProperties
    let createDevice: PFN_vkCreateDevice
    let getDeviceProcAddr: PFN_vkGetDeviceProcAddr
    let createDebugUtilsMessenger: PFN_vkCreateDebugUtilsMessengerEXT?
    let destroyDebugUtilsMessenger: PFN_vkDestroyDebugUtilsMessengerEXT?

    init(loader: Loader, instance: VkInstance) throws {
        func load<F>(_ name: String) throws -> F { try loader.function(name, instance: instance) }
        destroyInstance = try load("vkDestroyInstance")
        enumeratePhysicalDevices = try load("vkEnumeratePhysicalDevices")
        getPhysicalDeviceProperties = try load("vkGetPhysicalDeviceProperties")
        getPhysicalDeviceProperties2 = try load("vkGetPhysicalDeviceProperties2")
        getPhysicalDeviceFeatures2 = try load("vkGetPhysicalDeviceFeatures2")
        getPhysicalDeviceMemoryProperties = try load("vkGetPhysicalDeviceMemoryProperties")
        getPhysicalDeviceQueueFamilyProperties = try load("vkGetPhysicalDeviceQueueFamilyProperties")
        enumerateDeviceExtensionProperties = try load("vkEnumerateDeviceExtensionProperties")
        createDevice = try load("vkCreateDevice")
        getDeviceProcAddr = try load("vkGetDeviceProcAddr")
        createDebugUtilsMessenger = try? load("vkCreateDebugUtilsMessengerEXT")
        destroyDebugUtilsMessenger = try? load("vkDestroyDebugUtilsMessengerEXT")
    }
}
