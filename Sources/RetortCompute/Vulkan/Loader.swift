internal import CVulkan
import Foundation

/// The Vulkan loader, opened at run time with `dlopen`.
///
/// Opening it ourselves (instead of linking `-lvulkan`) turns "libvulkan.so.1 not found" from a
/// dynamic-linker failure at start-up into a typed error that says what to install.
///
/// Why `@unchecked Sendable` is safe: the library handle and `vkGetInstanceProcAddr` are immutable
/// after `init`, and both `dlsym` and `vkGetInstanceProcAddr` may be called from any thread.
final class Loader: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    let getInstanceProcAddr: PFN_vkGetInstanceProcAddr

    static let candidates = ["libvulkan.so.1", "libvulkan.so"]

    init() throws {
        var opened: UnsafeMutableRawPointer?
        for name in Self.candidates {
            opened = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            if opened != nil { break }
        }
        guard let opened else { throw VulkanError.loaderNotFound(tried: Self.candidates) }
        guard let symbol = dlsym(opened, "vkGetInstanceProcAddr") else {
            dlclose(opened)
            throw VulkanError.loaderNotFound(tried: Self.candidates)
        }
        handle = opened
        getInstanceProcAddr = unsafeBitCast(symbol, to: PFN_vkGetInstanceProcAddr.self)
    }

    deinit { dlclose(handle) }

    /// Loads an instance-level (or, with a nil instance, global) entry point.
    func function<F>(_ name: String, instance: VkInstance? = nil) throws -> F {
        guard let raw = getInstanceProcAddr(instance, name) else { throw VulkanError.missingFunction(name) }
        return unsafeBitCast(raw, to: F.self)
    }
}
