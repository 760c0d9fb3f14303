import Foundation

/// What a device offers of `VK_EXT_subgroup_size_control` (core in Vulkan 1.3): the subgroup sizes a
/// compute pipeline may require, and whether it may require full subgroups.
///
/// Without it a kernel gets the driver's default layout: subgroups of ``DeviceInfo/subgroupSize``
/// lanes (the shaders are SPIR-V 1.5, so the size does not vary) that are full where the workgroup is
/// a multiple of it on every driver Retort has met, though Vulkan does not promise it.
public struct SubgroupSizeControl: Sendable, Equatable {
    /// The smallest and largest subgroup size a pipeline may require.
    public var minSize: Int
    public var maxSize: Int
    /// Most subgroups one compute workgroup may hold (bounds the workgroup of a required size).
    public var maxComputeWorkgroupSubgroups: Int
    /// A compute pipeline may require a subgroup size (the `subgroupSizeControl` feature, with the
    /// compute stage in `requiredSubgroupSizeStages`).
    public var requiresSizeInCompute: Bool
    /// A compute pipeline may require full subgroups (the `computeFullSubgroups` feature).
    public var requiresFullSubgroups: Bool

    /// One line for `retort devices --verbose`: `sizes 8–8, required size and full subgroups in compute`.
    public var description: String {
        let sizes = minSize == maxSize ? "size \(minSize)" : "sizes \(minSize)–\(maxSize)"
        var can: [String] = []
        if requiresSizeInCompute { can.append("required size") }
        if requiresFullSubgroups { can.append("full subgroups") }
        return "\(sizes), " + (can.isEmpty ? "nothing required in compute" : can.joined(separator: " and ") + " in compute")
    }

    /// How to create the pipeline of a kernel that assumes `layout`, with workgroup `localSize`, on a
    /// device whose default subgroup size is `defaultSize`: what the device lets it require, and
    /// nothing it would reject (Vulkan's rules on required sizes and full subgroups).
    func request(for layout: SubgroupLayout, localSize: [UInt32], defaultSize: Int) -> SubgroupRequest {
        let width: Int
        switch layout {
        case .any: return .none
        case .full: width = defaultSize
        case .exactly(let size): width = size
        }
        let x = Int(localSize.first ?? 1), invocations = localSize.reduce(1) { $0 * Int($1) }
        let sizeAllowed = requiresSizeInCompute && (minSize...maxSize).contains(width) && width > 0 && width & (width - 1) == 0
            && invocations <= maxComputeWorkgroupSubgroups * width
        let required = sizeAllowed ? width : nil
        // Full subgroups: X a multiple of the required size, or of the largest size when none is required.
        let full = requiresFullSubgroups && x % (required ?? maxSize) == 0
        return SubgroupRequest(fullSubgroups: full, requiredSize: required)
    }
}

/// What a kernel assumes about how its invocations form subgroups.
public enum SubgroupLayout: Sendable, Hashable {
    /// Nothing: any size, partial subgroups allowed.
    case any
    /// Every subgroup full, of the device's default size. Shaders that hand out work by lane
    /// (`gl_SubgroupInvocationID`, as `elementwise_span.glsl` does) need it: a missing lane's work
    /// would be skipped. ``Device`` gives it to every shader that reads that built-in.
    case full
    /// Full subgroups of exactly this many invocations (a softmax row per subgroup).
    case exactly(Int)
}

/// What a pipeline was created to require (``Kernel/subgroups``).
public struct SubgroupRequest: Sendable, Equatable {
    /// Created with `VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT`.
    public var fullSubgroups: Bool
    /// The `requiredSubgroupSize` it was created with, or nil.
    public var requiredSize: Int?

    public static let none = SubgroupRequest(fullSubgroups: false, requiredSize: nil)
}

enum SPIRVModule {
    /// `BuiltIn SubgroupLocalInvocationId` (`gl_SubgroupInvocationID`).
    static let subgroupLocalInvocationID: UInt32 = 41

    /// Whether the module decorates a variable as the built-in `builtIn` (an `OpDecorate … BuiltIn`).
    static func readsBuiltIn(_ builtIn: UInt32, in words: [UInt32]) -> Bool {
        let opDecorate: UInt32 = 71, decorationBuiltIn: UInt32 = 11
        var index = 5  // after the header
        while index < words.count {
            let count = Int(words[index] >> 16), opcode = words[index] & 0xFFFF
            guard count > 0, index + count <= words.count else { return false }
            if opcode == opDecorate, count >= 4, words[index + 2] == decorationBuiltIn, words[index + 3] == builtIn { return true }
            index += count
        }
        return false
    }
}
