/// Errors raised by the Vulkan runtime. Each message says what went wrong and what to do about it.
public enum VulkanError: Error, Equatable, CustomStringConvertible {
    /// The Vulkan loader library could not be opened.
    case loaderNotFound(tried: [String])
    /// The loader works but no driver reports a device.
    case noDevice
    /// `RETORT_DEVICE` (or an explicit selector) matched no usable device.
    case noMatchingDevice(selector: String, available: [String])
    /// Validation was requested but `VK_LAYER_KHRONOS_validation` is not installed.
    case validationLayerMissing
    /// A device allocation failed or would exceed a device limit.
    case outOfMemory(detail: String)
    /// A Vulkan call returned an error code.
    case callFailed(call: String, code: Int32)
    /// The loader or driver does not provide an entry point.
    case missingFunction(String)
    /// The device lacks something the request needs.
    case unsupported(String)
    /// No embedded SPIR-V module has this name.
    case shaderNotFound(name: String, available: [String])
    /// A call was made with arguments that do not fit the kernel, buffer or device.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .loaderNotFound(let tried):
            return "Vulkan loader not found (tried \(tried.joined(separator: ", "))). Install it with `apt-get install libvulkan1 mesa-vulkan-drivers` (or run `make deps`)."
        case .noDevice:
            return "No Vulkan device found. Install a driver: `apt-get install mesa-vulkan-drivers` gives the CPU device (lavapipe); for a GPU install its vendor's Vulkan driver. `vulkaninfo --summary` shows what the loader sees."
        case .noMatchingDevice(let selector, let available):
            let list = available.enumerated().map { "  [\($0.offset)] \($0.element)" }.joined(separator: "\n")
            return "RETORT_DEVICE=\"\(selector)\" matches no usable device. Set it to a device index or a substring of a device name, or unset it to pick automatically. Devices:\n\(list)"
        case .validationLayerMissing:
            return "Validation was requested (RETORT_VALIDATION=1) but VK_LAYER_KHRONOS_validation is not installed. Install it with `apt-get install vulkan-validationlayers`, or unset RETORT_VALIDATION."
        case .outOfMemory(let detail):
            return "Out of device memory: \(detail). Use a smaller batch or model, or choose a device with more memory (RETORT_DEVICE)."
        case .callFailed(let call, let code):
            return "\(call) failed with \(Self.name(of: code))."
        case .missingFunction(let name):
            return "The Vulkan driver does not provide \(name). Update the Vulkan loader and driver (`apt-get install libvulkan1 mesa-vulkan-drivers`)."
        case .unsupported(let what):
            return "Unsupported by this device: \(what)."
        case .shaderNotFound(let name, let available):
            return "No shader named \"\(name)\" is embedded. Available: \(available.joined(separator: ", "))."
        case .invalidArgument(let what):
            return what
        }
    }

    /// The `VkResult` enumerator name for a result code.
    static func name(of code: Int32) -> String {
        switch code {
        case 0: return "VK_SUCCESS"
        case 1: return "VK_NOT_READY"
        case 2: return "VK_TIMEOUT"
        case 5: return "VK_INCOMPLETE"
        case -1: return "VK_ERROR_OUT_OF_HOST_MEMORY"
        case -2: return "VK_ERROR_OUT_OF_DEVICE_MEMORY"
        case -3: return "VK_ERROR_INITIALIZATION_FAILED"
        case -4: return "VK_ERROR_DEVICE_LOST"
        case -5: return "VK_ERROR_MEMORY_MAP_FAILED"
        case -6: return "VK_ERROR_LAYER_NOT_PRESENT"
        case -7: return "VK_ERROR_EXTENSION_NOT_PRESENT"
        case -8: return "VK_ERROR_FEATURE_NOT_PRESENT"
        case -9: return "VK_ERROR_INCOMPATIBLE_DRIVER"
        case -10: return "VK_ERROR_TOO_MANY_OBJECTS"
        case -11: return "VK_ERROR_FORMAT_NOT_SUPPORTED"
        case -13: return "VK_ERROR_UNKNOWN"
        default: return "VkResult(\(code))"
        }
    }
}
