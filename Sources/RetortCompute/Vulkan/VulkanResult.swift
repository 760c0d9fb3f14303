internal import CVulkan

/// Throws a typed error for any result other than `VK_SUCCESS`.
@inline(__always)
func check(_ result: VkResult, _ call: StaticString) throws {
    guard result != VK_SUCCESS else { return }
    switch result {
    case VK_ERROR_OUT_OF_DEVICE_MEMORY, VK_ERROR_OUT_OF_HOST_MEMORY:
        throw VulkanError.outOfMemory(detail: "\(call) returned \(VulkanError.name(of: result.rawValue))")
    default:
        throw VulkanError.callFailed(call: "\(call)", code: result.rawValue)
    }
}
