import Foundation

/// What a Vulkan device is and what it can do: everything a bug report needs, in one value.
public struct DeviceInfo: Sendable, Equatable {
    /// The kind of device, in the order Retort prefers them.
    public enum Kind: String, Sendable {
        case discrete, integrated, virtual, cpu, other

        /// Higher is preferred: discrete > integrated > virtual > CPU.
        var preference: Int {
            switch self {
            case .discrete: return 4
            case .integrated: return 3
            case .virtual: return 2
            case .cpu: return 1
            case .other: return 0
            }
        }
    }

    /// A memory heap: its size and whether it is device-local.
    public struct Heap: Sendable, Equatable {
        public var size: UInt64
        public var isDeviceLocal: Bool
    }

    /// Position in the loader's device list (what `RETORT_DEVICE=<index>` refers to).
    public var index: Int
    public var name: String
    public var kind: Kind
    public var vendorID: UInt32
    public var deviceID: UInt32
    public var driverName: String
    public var driverInfo: String
    public var driverVersion: UInt32
    /// Vulkan API version as "major.minor.patch".
    public var apiVersion: String
    /// Lanes per subgroup of a compute pipeline that requires no size.
    public var subgroupSize: Int
    /// The subgroup sizes and layouts a pipeline may require (`VK_EXT_subgroup_size_control`, core in
    /// Vulkan 1.3); nil where the device offers none. Retort enables it where present.
    public var subgroupSizeControl: SubgroupSizeControl? = nil
    public var maxSharedMemory: Int
    public var maxStorageBufferRange: UInt64
    public var maxMemoryAllocationSize: UInt64
    public var maxTexelBufferElements: UInt64
    public var heaps: [Heap]
    /// A host-visible, device-local memory type exists (lavapipe, integrated GPUs, ReBAR).
    public var hasHostVisibleDeviceMemory: Bool
    /// Mesa's CPU driver (lavapipe / llvmpipe).
    public var isLavapipe: Bool
    /// 16-bit storage buffers (`storageBuffer16BitAccess`): what `--precision fp16|bf16` needs.
    public var has16BitStorage: Bool = false
    /// Hex of `pipelineCacheUUID`: pipeline-cache files are keyed by it.
    public var pipelineCacheUUID: String
    /// Why the device cannot be used, or nil when it can.
    public var unusableReason: String?

    /// One line with everything a bug report needs.
    public var summary: String {
        let heapText = heaps.map { "\(Self.bytes($0.size))\($0.isDeviceLocal ? " device-local" : " host")" }
            .joined(separator: " + ")
        var line = "\(name) [\(kind.rawValue)] driver \(driverName) \(driverInfo), Vulkan \(apiVersion), subgroup \(subgroupSize), "
            + "shared memory \(Self.bytes(UInt64(maxSharedMemory))), max binding \(Self.bytes(maxStorageBufferRange)), "
            + "heaps \(heapText)\(hasHostVisibleDeviceMemory ? " (host-visible)" : "")"
        if let unusableReason { line += " — unusable: \(unusableReason)" }
        return line
    }

    /// Formats a byte count with a binary unit (`128 MiB`).
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if value == value.rounded() { return "\(Int(value)) \(units[unit])" }
        return "\((value * 10).rounded() / 10) \(units[unit])"
    }
}

extension DeviceInfo {
    /// Picks the device Retort uses: the one `selector` names (an index or a case-insensitive
    /// substring of the name), or else the most preferred usable kind, first in list order on ties.
    ///
    /// - Throws: `VulkanError.noMatchingDevice` when the selector matches nothing usable,
    ///   `VulkanError.noDevice` when no device is usable at all.
    public static func choose(from devices: [DeviceInfo], selector: String?) throws -> DeviceInfo {
        let usable = devices.filter { $0.unusableReason == nil }
        if let selector = selector?.trimmingCharacters(in: .whitespaces), !selector.isEmpty {
            let matches: [DeviceInfo]
            if let index = Int(selector) {
                matches = usable.filter { $0.index == index }
            } else {
                matches = usable.filter { $0.name.lowercased().contains(selector.lowercased()) }
            }
            guard let match = matches.max(by: ranksBelow) else {
                throw VulkanError.noMatchingDevice(selector: selector, available: devices.map(\.summary))
            }
            return match
        }
        guard let best = usable.max(by: ranksBelow) else {
            throw VulkanError.noDevice
        }
        return best
    }

    /// The device for the `localRank`-th process of a data-parallel job on this machine: the usable
    /// devices of the preferred kind (discrete GPUs when there are any), by index, taken in turn
    /// (ranks beyond their count share them). `selector` (`RETORT_DEVICE`) overrides it, as for one process.
    public static func choose(from devices: [DeviceInfo], selector: String?, localRank: Int) throws -> DeviceInfo {
        if let selector, !selector.trimmingCharacters(in: .whitespaces).isEmpty { return try choose(from: devices, selector: selector) }
        let best = try choose(from: devices, selector: nil)
        let peers = devices.filter { $0.unusableReason == nil && $0.kind.preference == best.kind.preference }.sorted { $0.index < $1.index }
        return peers[localRank % peers.count]
    }

    /// Order for `max(by:)`: preferred kind first, then the lower index.
    private static func ranksBelow(_ a: DeviceInfo, _ b: DeviceInfo) -> Bool {
        a.kind.preference != b.kind.preference ? a.kind.preference < b.kind.preference : a.index > b.index
    }
}
