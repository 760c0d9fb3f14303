internal import CVulkan
import Foundation

/// A compute pipeline: one embedded shader, its specialization, and the layout of its bindings.
///
/// Conventions shared by every shader in `Shaders/` (and the test targets' shaders):
/// - `local_size_x_id = 0`, `local_size_y_id = 1`, `local_size_z_id = 2` (the workgroup size is a
///   specialization, set from ``localSize``); kernel-specific constants start at `constant_id = 3`.
/// - Bindings are numbered 0, 1, 2, … in set 0, in the order of ``bindings``.
/// - Push constants are a flat block of 4-byte scalars (shapes, strides, scalars), ≤ 128 bytes.
///
/// Create kernels with ``Device/kernel(_:bindings:pushConstants:localSize:constants:)``, which
/// builds each (shader, specialization) pipeline once and reuses it.
///
/// Why `@unchecked Sendable` is safe (Swift cannot check the Vulkan handles): every stored property is
/// immutable after `init`, and recording a dispatch only reads the pipeline and its layouts, which
/// Vulkan does not require to be externally synchronized. They are destroyed in `deinit`, when no
/// stream holds the kernel any more (a stream keeps the kernels of its pending batch alive).
public final class Kernel: @unchecked Sendable {
    /// How a kernel accesses a storage buffer.
    public enum Access: Sendable, Hashable { case read, write, readWrite }

    /// One descriptor binding.
    public enum Binding: Sendable, Hashable {
        /// A read-only uniform texel buffer (`samplerBuffer` + `texelFetch`).
        case texel(TexelFormat)
        /// A storage buffer (`buffer { … }`).
        case storage(Access)

        var reads: Bool {
            if case .storage(.write) = self { return false }
            return true
        }
        var writes: Bool {
            switch self {
            case .texel, .storage(.read): return false
            case .storage(.write), .storage(.readWrite): return true
            }
        }
        var descriptorType: VkDescriptorType {
            if case .texel = self { return VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER }
            return VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
        }
    }

    public let name: String
    public let bindings: [Binding]
    /// Number of 4-byte push-constant values the shader declares.
    public let pushConstantCount: Int
    /// Workgroup size (x, y, z).
    public let localSize: [UInt32]
    public let constants: [ShaderValue]
    /// What the kernel assumes about its subgroups: as asked, or ``SubgroupLayout/full`` for a shader
    /// that reads `gl_SubgroupInvocationID` (it hands out work by lane).
    public let subgroupLayout: SubgroupLayout
    /// What its pipeline requires of the device to guarantee ``subgroupLayout``
    /// (``SubgroupSizeControl/request(for:localSize:defaultSize:)``); ``SubgroupRequest/none``
    /// where the device has no subgroup size control.
    public let subgroups: SubgroupRequest

    let context: DeviceContext
    let setLayout: VkDescriptorSetLayout
    let pipelineLayout: VkPipelineLayout
    let pipeline: VkPipeline
    let usesPushDescriptors: Bool

    init(context: DeviceContext, cache: VkPipelineCache?, name: String, spirv: () throws -> [UInt32], bindings: [Binding],
         pushConstantCount: Int, localSize: [UInt32], constants: [ShaderValue], subgroups layout: SubgroupLayout = .any) throws {
        guard pushConstantCount * 4 <= Int(context.limits.maxPushConstantsSize) else {
            throw VulkanError.invalidArgument("Kernel \(name) declares \(pushConstantCount * 4) bytes of push constants; the device allows \(context.limits.maxPushConstantsSize).")
        }
        guard localSize.count == 3, localSize.allSatisfy({ $0 > 0 }),
              localSize.reduce(1, *) <= context.limits.maxComputeWorkGroupInvocations else {
            throw VulkanError.invalidArgument("Kernel \(name): workgroup size \(localSize) is not valid on this device (at most \(context.limits.maxComputeWorkGroupInvocations) invocations).")
        }
        let words = try spirv()
        let assumed = layout == .any && SPIRVModule.readsBuiltIn(SPIRVModule.subgroupLocalInvocationID, in: words) ? .full : layout
        let request = context.info.subgroupSizeControl?.request(for: assumed, localSize: localSize, defaultSize: context.info.subgroupSize)
            ?? .none
        let fns = context.functions
        let device = context.handle
        let pushDescriptors = fns.cmdPushDescriptorSet != nil

        // Descriptor-set layout: one binding per buffer.
        let layoutBindings = bindings.enumerated().map { index, binding in
            VkDescriptorSetLayoutBinding(binding: UInt32(index), descriptorType: binding.descriptorType, descriptorCount: 1,
                                         stageFlags: VK_SHADER_STAGE_COMPUTE_BIT.rawValue, pImmutableSamplers: nil)
        }
        var setLayout: VkDescriptorSetLayout?
        try layoutBindings.withUnsafeBufferPointer { pointer in
            var info = VkDescriptorSetLayoutCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO
            info.flags = pushDescriptors ? VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR.rawValue : 0
            info.bindingCount = UInt32(pointer.count)
            info.pBindings = pointer.baseAddress
            try check(fns.createDescriptorSetLayout(device, &info, nil, &setLayout), "vkCreateDescriptorSetLayout")
        }

        var pipelineLayout: VkPipelineLayout?
        var range = VkPushConstantRange(stageFlags: VK_SHADER_STAGE_COMPUTE_BIT.rawValue, offset: 0, size: UInt32(pushConstantCount * 4))
        var layouts: [VkDescriptorSetLayout?] = [setLayout]
        let layoutResult = layouts.withUnsafeMutableBufferPointer { layoutPointer in
            var info = VkPipelineLayoutCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO
            info.setLayoutCount = 1
            info.pSetLayouts = UnsafePointer(layoutPointer.baseAddress)
            return withUnsafePointer(to: &range) { rangePointer in
                info.pushConstantRangeCount = pushConstantCount > 0 ? 1 : 0
                info.pPushConstantRanges = pushConstantCount > 0 ? rangePointer : nil
                return fns.createPipelineLayout(device, &info, nil, &pipelineLayout)
            }
        }
        if layoutResult != VK_SUCCESS { fns.destroyDescriptorSetLayout(device, setLayout, nil) }
        try check(layoutResult, "vkCreatePipelineLayout")

        // Shader module, used only while the pipeline is created.
        var module: VkShaderModule?
        let moduleResult = words.withUnsafeBufferPointer { code in
            var info = VkShaderModuleCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO
            info.codeSize = code.count * 4
            info.pCode = code.baseAddress
            return fns.createShaderModule(device, &info, nil, &module)
        }
        guard moduleResult == VK_SUCCESS else {
            fns.destroyPipelineLayout(device, pipelineLayout, nil)
            fns.destroyDescriptorSetLayout(device, setLayout, nil)
            try check(moduleResult, "vkCreateShaderModule")
            throw VulkanError.callFailed(call: "vkCreateShaderModule", code: moduleResult.rawValue)
        }
        defer { fns.destroyShaderModule(device, module, nil) }

        // Specialization: ids 0–2 are the workgroup size, then the kernel's own constants.
        let values = localSize + constants.map(\.bits)
        let entries = values.indices.map { VkSpecializationMapEntry(constantID: UInt32($0), offset: UInt32($0 * 4), size: 4) }
        var pipeline: VkPipeline?
        var requiredSize = VkPipelineShaderStageRequiredSubgroupSizeCreateInfo()
        requiredSize.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO
        requiredSize.requiredSubgroupSize = UInt32(request.requiredSize ?? 0)
        let pipelineResult = values.withUnsafeBufferPointer { data in
            entries.withUnsafeBufferPointer { map in
                var specialization = VkSpecializationInfo(mapEntryCount: UInt32(map.count), pMapEntries: map.baseAddress,
                                                          dataSize: data.count * 4, pData: UnsafeRawPointer(data.baseAddress))
                return "main".withCString { entry in
                    withUnsafePointer(to: &specialization) { specializationPointer in
                        withUnsafePointer(to: &requiredSize) { requiredSizePointer in
                            var stage = VkPipelineShaderStageCreateInfo()
                            stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO
                            stage.pNext = request.requiredSize == nil ? nil : UnsafeRawPointer(requiredSizePointer)
                            stage.flags = request.fullSubgroups ? VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT.rawValue : 0
                            stage.stage = VK_SHADER_STAGE_COMPUTE_BIT
                            stage.module = module
                            stage.pName = entry
                            stage.pSpecializationInfo = specializationPointer
                            var info = VkComputePipelineCreateInfo()
                            info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO
                            info.stage = stage
                            info.layout = pipelineLayout
                            return fns.createComputePipelines(device, cache, 1, &info, nil, &pipeline)
                        }
                    }
                }
            }
        }
        guard pipelineResult == VK_SUCCESS, let pipeline else {
            fns.destroyPipelineLayout(device, pipelineLayout, nil)
            fns.destroyDescriptorSetLayout(device, setLayout, nil)
            try check(pipelineResult, "vkCreateComputePipelines")
            throw VulkanError.callFailed(call: "vkCreateComputePipelines", code: pipelineResult.rawValue)
        }

        self.context = context
        self.name = name
        self.bindings = bindings
        self.pushConstantCount = pushConstantCount
        self.localSize = localSize
        self.constants = constants
        self.subgroupLayout = assumed
        self.subgroups = request
        self.setLayout = setLayout!
        self.pipelineLayout = pipelineLayout!
        self.pipeline = pipeline
        self.usesPushDescriptors = pushDescriptors
    }

    deinit {
        let fns = context.functions
        fns.destroyPipeline(context.handle, pipeline, nil)
        fns.destroyPipelineLayout(context.handle, pipelineLayout, nil)
        fns.destroyDescriptorSetLayout(context.handle, setLayout, nil)
    }

    /// Workgroup counts that cover `threads` invocations along each axis.
    public func groups(covering threads: (Int, Int, Int)) -> (Int, Int, Int) {
        func cover(_ count: Int, _ size: UInt32) -> Int { (count + Int(size) - 1) / Int(size) }
        return (cover(threads.0, localSize[0]), cover(threads.1, localSize[1]), cover(threads.2, localSize[2]))
    }
}

/// What makes two kernels the same pipeline.
struct KernelKey: Hashable {
    /// The shader enum the shader belongs to (two modules may embed shaders of the same name).
    let family: ObjectIdentifier
    let name: String
    let bindings: [Kernel.Binding]
    let pushConstantCount: Int
    let localSize: [UInt32]
    let constants: [ShaderValue]
    let subgroups: SubgroupLayout
}
