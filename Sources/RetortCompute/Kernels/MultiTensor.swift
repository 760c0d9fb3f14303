import Foundation

// Multi-tensor apply: one dispatch of sgd_multi_tensor.comp or adamw_multi_tensor.comp updates up to
// `slots` tensors, each bound to its own slot of bindings.
//   tensor k: [count_k] elements = ceil(count_k / 4) units; workgroups [groupEnd_(k-1), groupEnd_k)

/// One dispatch of a multi-tensor kernel: the tensors' element counts and workgroup ranges (the
/// push block's tables, `multi_tensor.glsl`) and the buffers for every slot.
struct MultiTensorDispatch {
    /// Tensors updated (the first slots; the rest are bound to the first tensor's buffers and never touched).
    let tensors: Int
    /// Element counts by slot, 0 past the last tensor.
    let counts: [Int]
    /// The end of each tensor's range of workgroups, the total past the last tensor.
    let groupEnds: [Int]
    /// The buffers of every slot, in binding order.
    let buffers: [Buffer]

    /// - Parameters: `operands`: each tensor's element count and buffers (one per binding of a slot).
    init(_ operands: [(count: Int, buffers: [Buffer])], slots: Int) {
        precondition((1...slots).contains(operands.count), "a multi-tensor dispatch takes 1 to \(slots) tensors")
        tensors = operands.count
        var end = 0
        var ends: [Int] = []
        for operand in operands {
            // Each tensor's groups as its own element-wise dispatch would have them, capped so that all fit one dispatch.
            let groups = ElementwiseLauncher.groups(units: (operand.count + 3) / 4, localSize: Self.localSize).0
            end += min(groups, ElementwiseLauncher.maxGroups / slots)
            ends.append(end)
        }
        let padding = slots - operands.count
        counts = operands.map(\.count) + Array(repeating: 0, count: padding)
        groupEnds = ends + Array(repeating: end, count: padding)
        let slotBuffers = operands.map(\.buffers)
        buffers = (slotBuffers + Array(repeating: slotBuffers[0], count: padding)).flatMap { $0 }
    }

    var groups: (Int, Int, Int) { (groupEnds[tensors - 1], 1, 1) }

    /// The push block's `tensors`, `count[SLOTS]` and `groupEnd[SLOTS]`, in the shader's order.
    var table: [ShaderValue] { [.count(tensors)] + counts.map(ShaderValue.count) + groupEnds.map(ShaderValue.count) }

    /// `items` in order, in runs of at most `slots`.
    static func batches<T>(_ items: [T], slots: Int) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: slots).map { items[$0..<min($0 + slots, items.count)] }
    }

    /// Workgroup size of the multi-tensor kernels.
    static let localSize: UInt32 = 64

    /// The kernel of `shader` binding `slots` tensors with `slot` each, or nil when `device` cannot
    /// bind that many in one stage. At most 32 bindings in all: the least `maxPushDescriptors` of any device.
    static func kernel<P: PushConstants>(_ shader: Shader, on device: Device, slot: [Kernel.Binding], slots: Int,
                                         pushConstants: P.Type) throws -> Kernel? {
        let limits = device.context.limits
        let texel = slots * slot.filter { if case .texel = $0 { return true } else { return false } }.count
        let storage = slots * slot.count - texel
        let fits = storage + texel <= 32 && storage + texel <= Int(limits.maxPerStageResources)
            && storage <= Int(limits.maxPerStageDescriptorStorageBuffers) && storage <= Int(limits.maxDescriptorSetStorageBuffers)
            && texel <= Int(limits.maxPerStageDescriptorSampledImages) && texel <= Int(limits.maxDescriptorSetSampledImages)
        guard fits else { return nil }
        return try device.kernel(shader, bindings: Array(repeating: slot, count: slots).flatMap { $0 }, pushConstants: P.self,
                                 localSize: [localSize])
    }

    /// Throws unless every buffer a step writes belongs to one tensor only and none is read as a
    /// gradient: tensors of one dispatch are updated concurrently.
    static func requireDistinct(_ context: String, written: [Buffer], read: [Buffer]) throws {
        let writes = Set(written.map(ObjectIdentifier.init))
        guard writes.count == written.count, !read.contains(where: { writes.contains(ObjectIdentifier($0)) }) else {
            throw VulkanError.invalidArgument("\(context): every parameter and state buffer must belong to one tensor only and "
                                              + "differ from every gradient buffer.")
        }
    }
}
