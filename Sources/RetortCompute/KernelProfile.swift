import Foundation

/// Which set of kernel variants a device runs: the ones tuned for lavapipe or the ones for GPUs.
/// ``KernelChoice`` turns it into each kernel family's variant; `RETORT_KERNELS` forces one.
public enum KernelProfile: String, Sendable, CaseIterable {
    /// For lavapipe, Mesa's CPU driver, which runs a workgroup as one CPU task in SIMD steps of its
    /// subgroup size, makes every texel fetch a function call and switches coroutines at barriers:
    /// small workgroups whose invocations each compute a large register block, operands read through
    /// texel buffers, no shared memory and no barriers in the hot loops.
    case cpu
    /// For GPUs: the shared-memory tiled GEMM, 64- and 256-wide workgroups, one workgroup per softmax
    /// row, whole batches per Winograd dispatch.
    case gpu

    /// The environment variable that forces a profile on every device: `RETORT_KERNELS=gpu` runs the
    /// GPU variants on lavapipe (how the tests cover them), `cpu` the lavapipe ones on a GPU; `auto`
    /// or unset picks by driver.
    public static let environmentKey = "RETORT_KERNELS"

    /// The profile `value` (of ``environmentKey``) forces: nil for `auto`, empty or unset.
    ///
    /// - Throws: `VulkanError.invalidArgument` naming the accepted values for anything else.
    public static func forced(by value: String?) throws -> KernelProfile? {
        guard let text = value?.trimmingCharacters(in: .whitespaces).lowercased(), !text.isEmpty, text != "auto" else { return nil }
        guard let profile = KernelProfile(rawValue: text) else {
            throw VulkanError.invalidArgument("\(environmentKey)=\"\(value ?? "")\" is not a kernel profile: use gpu (the GPU variants), "
                                              + "cpu (the lavapipe-tuned ones) or auto, or unset it.")
        }
        return profile
    }

    /// The profile Retort picks for `device` by itself: ``cpu`` on lavapipe, ``gpu`` elsewhere.
    public static func automatic(for device: DeviceInfo) -> KernelProfile {
        device.isLavapipe ? .cpu : .gpu
    }
}
