internal import CVulkan
import Foundation

/// A `VkPipelineCache` persisted under `$XDG_CACHE_HOME/retort` (default `~/.cache/retort`), one file
/// per device and driver build, so pipelines compile once per machine on GPUs. (On lavapipe the
/// driver's cache is empty; Mesa's own shader cache does that job there.)
///
/// Why `@unchecked Sendable` is safe: every stored property is immutable after `init`. The
/// `VkPipelineCache` is created without `VK_PIPELINE_CACHE_CREATE_EXTERNALLY_SYNCHRONIZED_BIT`, so the
/// driver synchronizes concurrent pipeline creation and `vkGetPipelineCacheData` itself, and `save()`
/// replaces the file atomically, so concurrent saves leave one whole file.
final class PipelineCache: @unchecked Sendable {
    let context: DeviceContext
    let handle: VkPipelineCache?
    /// Where the cache is stored, or nil when no cache directory could be determined.
    let url: URL?

    init(context: DeviceContext, directory: URL?) {
        self.context = context
        let info = context.info
        let file = String(format: "pipelines-%04x-%04x-%08x-%@.bin", info.vendorID, info.deviceID, info.driverVersion, info.pipelineCacheUUID)
        url = directory?.appending(path: file)
        let data = url.flatMap { try? Data(contentsOf: $0) } ?? Data()
        var cache: VkPipelineCache?
        // The driver checks the header (vendor, device, UUID) and ignores data that does not match.
        let result = data.withUnsafeBytes { bytes in
            var createInfo = VkPipelineCacheCreateInfo()
            createInfo.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO
            createInfo.initialDataSize = bytes.count
            createInfo.pInitialData = bytes.count > 0 ? bytes.baseAddress : nil
            return context.functions.createPipelineCache(context.handle, &createInfo, nil, &cache)
        }
        handle = result == VK_SUCCESS ? cache : nil
    }

    deinit {
        if let handle { context.functions.destroyPipelineCache(context.handle, handle, nil) }
    }

    /// The default directory: `$XDG_CACHE_HOME/retort`, or `~/.cache/retort`.
    static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appending(path: "retort") }
        if let home = environment["HOME"], !home.isEmpty { return URL(fileURLWithPath: home).appending(path: ".cache/retort") }
        return nil
    }

    /// Writes the cache atomically (temporary file + rename). Failing to write a cache is not an
    /// error worth stopping for; the reason is returned for logging.
    @discardableResult
    func save() -> String? {
        guard let handle, let url else { return "no cache directory" }
        var size = 0
        guard context.functions.getPipelineCacheData(context.handle, handle, &size, nil) == VK_SUCCESS, size > 0 else {
            return "driver returned no cache data"
        }
        var data = Data(count: size)
        let result = data.withUnsafeMutableBytes { context.functions.getPipelineCacheData(context.handle, handle, &size, $0.baseAddress) }
        guard result == VK_SUCCESS else { return "vkGetPipelineCacheData failed" }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.prefix(size).write(to: url, options: .atomic)
            return nil
        } catch {
            return "\(error)"
        }
    }
}
