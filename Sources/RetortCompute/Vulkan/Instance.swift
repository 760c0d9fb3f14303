internal import CVulkan
import Foundation

/// A `VkInstance` with the loader that made it, and (when validation is on) the debug messenger
/// that feeds `ValidationLog`.
///
/// Why `@unchecked Sendable` is safe: nothing changes after `init` (the debug messenger is set once,
/// inside `init`, and destroyed in `deinit`); instance-level entry points may be called from any
/// thread, and the messenger hands messages to ``ValidationLog``, which locks.
final class Instance: @unchecked Sendable {
    let loader: Loader
    let handle: VkInstance
    let functions: InstanceFunctions
    let apiVersion: UInt32
    let validation: ValidationLog?
    private var messenger: VkDebugUtilsMessengerEXT?

    static let validationLayer = "VK_LAYER_KHRONOS_validation"

    init(validation: Bool) throws {
        let loader = try Loader()
        let global = try GlobalFunctions(loader: loader)
        var version = CVK_API_VERSION_1_0
        if let enumerate = global.enumerateInstanceVersion { _ = enumerate(&version) }
        guard version >= CVK_API_VERSION_1_1 else {
            throw VulkanError.unsupported("the Vulkan loader is version \(cvk_version_major(version)).\(cvk_version_minor(version)); Retort needs 1.1 or newer (`apt-get install libvulkan1`)")
        }
        let apiVersion = min(version, CVK_API_VERSION_1_3)

        var layers: [String] = []
        var extensions: [String] = []
        let log: ValidationLog? = validation ? ValidationLog() : nil
        if validation {
            guard Self.availableLayers(global).contains(Self.validationLayer) else { throw VulkanError.validationLayerMissing }
            layers.append(Self.validationLayer)
            extensions.append("VK_EXT_debug_utils")
        }

        var appInfo = VkApplicationInfo()
        appInfo.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO
        appInfo.apiVersion = apiVersion
        appInfo.applicationVersion = 1
        appInfo.engineVersion = 1

        // Synchronization validation checks the stream's hazard barriers, not just API usage.
        let enables = [VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT]
        var features = VkValidationFeaturesEXT()
        features.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT
        features.enabledValidationFeatureCount = 1

        var messengerInfo = Self.messengerInfo(log: log)

        var created: VkInstance?
        let result: VkResult = "retort".withCString { appName in
            appInfo.pApplicationName = appName
            appInfo.pEngineName = appName
            return withCStringArray(layers) { layerNames, layerCount in
                withCStringArray(extensions) { extensionNames, extensionCount in
                    withUnsafePointer(to: &appInfo) { app in
                        enables.withUnsafeBufferPointer { enabled in
                            features.pEnabledValidationFeatures = enabled.baseAddress
                            return withUnsafeMutablePointer(to: &features) { featuresPointer in
                                messengerInfo.pNext = UnsafeRawPointer(featuresPointer)
                                return withUnsafePointer(to: &messengerInfo) { messenger in
                                    var info = VkInstanceCreateInfo()
                                    info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
                                    info.pApplicationInfo = app
                                    info.enabledLayerCount = layerCount
                                    info.ppEnabledLayerNames = layerNames
                                    info.enabledExtensionCount = extensionCount
                                    info.ppEnabledExtensionNames = extensionNames
                                    if validation { info.pNext = UnsafeRawPointer(messenger) }
                                    return global.createInstance(&info, nil, &created)
                                }
                            }
                        }
                    }
                }
            }
        }
        if result == VK_ERROR_INCOMPATIBLE_DRIVER { throw VulkanError.noDevice }
        try check(result, "vkCreateInstance")
        guard let handle = created else { throw VulkanError.callFailed(call: "vkCreateInstance", code: -3) }

        self.loader = loader
        self.handle = handle
        self.apiVersion = apiVersion
        self.validation = log
        do {
            functions = try InstanceFunctions(loader: loader, instance: handle)
        } catch {
            if let destroy: PFN_vkDestroyInstance = try? loader.function("vkDestroyInstance", instance: handle) { destroy(handle, nil) }
            throw error
        }
        if validation, let create = functions.createDebugUtilsMessenger {
            messengerInfo.pNext = nil
            var made: VkDebugUtilsMessengerEXT?
            try check(create(handle, &messengerInfo, nil, &made), "vkCreateDebugUtilsMessengerEXT")
            messenger = made
        }
    }

    deinit {
        if let messenger, let destroy = functions.destroyDebugUtilsMessenger { destroy(handle, messenger, nil) }
        functions.destroyInstance(handle, nil)
    }

    /// The physical devices the loader reports.
    func physicalDevices() throws -> [VkPhysicalDevice] {
        var count: UInt32 = 0
        let first = functions.enumeratePhysicalDevices(handle, &count, nil)
        if first == VK_ERROR_INITIALIZATION_FAILED || count == 0 { throw VulkanError.noDevice }
        try check(first, "vkEnumeratePhysicalDevices")
        var devices = [VkPhysicalDevice?](repeating: nil, count: Int(count))
        try check(functions.enumeratePhysicalDevices(handle, &count, &devices), "vkEnumeratePhysicalDevices")
        return devices.prefix(Int(count)).compactMap { $0 }
    }

    private static func availableLayers(_ global: GlobalFunctions) -> [String] {
        var count: UInt32 = 0
        guard global.enumerateInstanceLayerProperties(&count, nil) == VK_SUCCESS, count > 0 else { return [] }
        var properties = [VkLayerProperties](repeating: VkLayerProperties(), count: Int(count))
        guard global.enumerateInstanceLayerProperties(&count, &properties) == VK_SUCCESS else { return [] }
        return properties.prefix(Int(count)).map { string(fromTuple: $0.layerName) }
    }

    private static func messengerInfo(log: ValidationLog?) -> VkDebugUtilsMessengerCreateInfoEXT {
        var info = VkDebugUtilsMessengerCreateInfoEXT()
        info.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT
        info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT.rawValue
            | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT.rawValue
        info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT.rawValue
            | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT.rawValue
        info.pfnUserCallback = validationCallback
        if let log { info.pUserData = Unmanaged.passUnretained(log).toOpaque() }
        return info
    }
}

/// C callback for the validation layer: forwards each message to the instance's `ValidationLog`
/// (passed through `pUserData`, since a C function pointer cannot capture context).
private let validationCallback: PFN_vkDebugUtilsMessengerCallbackEXT = { _, _, data, userData in
    guard let userData, let message = data?.pointee.pMessage else { return VkBool32(VK_FALSE) }
    Unmanaged<ValidationLog>.fromOpaque(userData).takeUnretainedValue().append(String(cString: message))
    return VkBool32(VK_FALSE)
}

/// Calls `body` with a C array of C strings that lives for the duration of the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UInt32) throws -> R) rethrows -> R {
    let owned = strings.map { strdup($0) }
    defer { owned.forEach { free($0) } }
    let pointers = owned.map { UnsafePointer($0) }
    return try pointers.withUnsafeBufferPointer { try body(strings.isEmpty ? nil : $0.baseAddress, UInt32(strings.count)) }
}

/// Reads a fixed-size C `char` array (imported as a tuple) as a String.
func string<T>(fromTuple tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        let bytes = raw.bindMemory(to: UInt8.self)
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
