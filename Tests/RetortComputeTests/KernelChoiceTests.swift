import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

/// The rules of ``KernelChoice`` on described devices (no Vulkan).
final class KernelChoiceRuleTests: XCTestCase {
    static func describedDevice(lavapipe: Bool, subgroup: Int = 32, sharedMemory: Int = 48 << 10,
                                control: SubgroupSizeControl? = nil) -> DeviceInfo {
        DeviceInfo(index: 0, name: lavapipe ? "llvmpipe" : "GPU", kind: lavapipe ? .cpu : .discrete, vendorID: 0, deviceID: 0,
                   driverName: "d", driverInfo: "i", driverVersion: 0, apiVersion: "1.3.0", subgroupSize: subgroup,
                   subgroupSizeControl: control, maxSharedMemory: sharedMemory, maxStorageBufferRange: 1 << 31,
                   maxMemoryAllocationSize: 1 << 32, maxTexelBufferElements: 1 << 27, heaps: [], hasHostVisibleDeviceMemory: lavapipe,
                   isLavapipe: lavapipe, pipelineCacheUUID: "00", unusableReason: nil)
    }

    /// Every decision the launchers read, in one comparable list.
    private func decisions(_ c: KernelChoice) -> [String] {
        ["\(c.profile)", "\(c.matMulVariant)", "split \(c.matMulSplitTarget)", "lanes \(c.convolutionLanes)",
         "filter \(c.convolutionFilterTarget)", "1×1 GEMM \(c.pointwiseConvolutionAsGEMM)",
         "chunk \(c.winogradChunkBytes.map(String.init) ?? "batch")", "bn \(c.batchNormLanes)", "\(c.softmaxRowMapping)"]
    }

    func testLavapipeRunsTheCPUVariantsAndGPUsTheGPUVariants() {
        let cpu = KernelChoice(device: Self.describedDevice(lavapipe: true, subgroup: 8), processors: 2)
        XCTAssertEqual(decisions(cpu), ["cpu", "texel", "split 8", "lanes 8", "filter 256", "1×1 GEMM false",
                                        "chunk \(Conv2dLauncher.WinogradPass.cacheBytes)", "bn 8", "subgroupPerRow(rowsPerWorkgroup: 8)"])
        XCTAssert(cpu.profileReason.contains("lavapipe"), cpu.profileReason)
        let gpu = KernelChoice(device: Self.describedDevice(lavapipe: false), processors: 2)
        XCTAssertEqual(decisions(gpu), ["gpu", "tiled", "split 256", "lanes 64", "filter 16384", "1×1 GEMM true", "chunk batch", "bn 256",
                                        "workgroupPerRow(lanes: 64)"])
    }

    func testAForcedProfileOverridesTheDriverAndSaysSo() {
        let lavapipe = Self.describedDevice(lavapipe: true, subgroup: 8)
        let forcedGPU = KernelChoice(device: lavapipe, forced: .gpu)
        XCTAssertEqual(forcedGPU.matMulVariant, .tiled)
        XCTAssertEqual(forcedGPU.softmaxRowMapping, .workgroupPerRow(lanes: 64))
        XCTAssertEqual(forcedGPU.profileReason, "RETORT_KERNELS=gpu")
        let forcedCPU = KernelChoice(device: Self.describedDevice(lavapipe: false), forced: .cpu)
        XCTAssertEqual(forcedCPU.matMulVariant, .texel)
        XCTAssertEqual(forcedCPU.convolutionLanes, 8)
        XCTAssertEqual(forcedCPU.profileReason, "RETORT_KERNELS=cpu")
    }

    func testTooLittleSharedMemoryKeepsTheTexelGEMMAndNamesTheLimit() {
        let small = KernelChoice(device: Self.describedDevice(lavapipe: false, sharedMemory: 4 << 10))
        XCTAssertEqual(small.matMulVariant, .texel)
        let gemm = small.families.first { $0.name == "gemm" }
        XCTAssert(gemm?.reason.contains("4 KiB") == true && gemm?.reason.contains("8 KiB") == true, "\(String(describing: gemm))")
        XCTAssert(small.families.contains { $0.name == "conv2d 1×1" && $0.variant.contains("texel") })
    }

    func testEveryFamilyHasAVariantAndAReason() {
        for device in [Self.describedDevice(lavapipe: true, subgroup: 8), Self.describedDevice(lavapipe: false)] {
            for forced in [nil] + KernelProfile.allCases.map(Optional.some) {
                let families = KernelChoice(device: device, forced: forced).families
                XCTAssertEqual(Set(families.map(\.name)).count, families.count, "family names repeat")
                for name in ["gemm", "gemm split-K", "conv2d", "conv2d 1×1", "conv2d weight gradient", "conv2d Winograd", "batch norm",
                             "softmax, KL, cross-entropy", "element-wise, copies, optimizers", "pooling"] {
                    let family = families.first { $0.name == name }
                    XCTAssertNotNil(family, "\(name) missing")
                    XCTAssertFalse(family?.variant.isEmpty ?? true)
                    XCTAssertFalse(family?.reason.isEmpty ?? true)
                }
            }
        }
    }

    func testSubgroupReasonsSayWhatThePipelinesRequire() {
        let control = SubgroupSizeControl(minSize: 8, maxSize: 8, maxComputeWorkgroupSubgroups: 32, requiresSizeInCompute: true,
                                          requiresFullSubgroups: true)
        let controlled = KernelChoice(device: Self.describedDevice(lavapipe: true, subgroup: 8, control: control)).families
        let softmax = controlled.first { $0.name.hasPrefix("softmax") }
        XCTAssert(softmax?.variant.contains("8 lanes") == true && softmax?.reason.contains("full subgroups of 8") == true,
                  "\(String(describing: softmax))")
        let uncontrolled = KernelChoice(device: Self.describedDevice(lavapipe: true, subgroup: 8)).families
        XCTAssert(uncontrolled.first { $0.name.hasPrefix("element-wise") }?.reason.contains("no subgroup size control") == true)
    }

    func testProfileFromTheEnvironmentValue() throws {
        XCTAssertEqual(try KernelProfile.forced(by: "gpu"), .gpu)
        XCTAssertEqual(try KernelProfile.forced(by: " CPU "), .cpu)
        XCTAssertNil(try KernelProfile.forced(by: "auto"))
        XCTAssertNil(try KernelProfile.forced(by: ""))
        XCTAssertNil(try KernelProfile.forced(by: nil))
        XCTAssertThrowsError(try KernelProfile.forced(by: "fast")) { error in
            let message = "\(error)"
            XCTAssert(message.contains("RETORT_KERNELS=\"fast\"") && message.contains("gpu") && message.contains("auto"), message)
        }
        XCTAssertEqual(Device.Options.fromEnvironment(["RETORT_KERNELS": "gpu"]).kernels, .gpu)
        XCTAssertNil(Device.Options.fromEnvironment([:]).kernels)
        XCTAssertThrowsError(try Device.Options.fromEnvironment(["RETORT_KERNELS": "fast"]).validate())
    }
}

/// Devices opened with a forced profile, and the launchers reading their choice from it.
final class KernelChoiceDeviceTests: DeviceTestCase {
    func testABadProfileStopsTheDeviceFromOpening() {
        let options = Device.Options.fromEnvironment(["RETORT_KERNELS": "fast"])
        XCTAssertThrowsError(try Device(options: options)) { error in
            XCTAssert("\(error)".contains("RETORT_KERNELS"), "\(error)")
        }
    }

    /// `make test` runs the kernel tests once more with `RETORT_KERNELS=gpu`: this checks that the
    /// setting reached the test device.
    func testTheTestDeviceRunsTheProfileTheEnvironmentForces() throws {
        let forced = try KernelProfile.forced(by: ProcessInfo.processInfo.environment[KernelProfile.environmentKey])
        XCTAssertEqual(device.kernelChoice.profile, forced ?? KernelProfile.automatic(for: device.info))
    }

    func testLaunchersTakeTheForcedGPUVariantsOnAnyDevice() throws {
        let gpu = try Device(options: .init(cacheDirectory: nil, kernels: .gpu))
        XCTAssertEqual(gpu.kernelChoice.profile, .gpu)
        XCTAssertEqual(try MatMulLauncher(device: gpu).variant, .tiled)
        XCTAssertEqual(SoftmaxRowMapping.preferred(for: gpu), .workgroupPerRow(lanes: 64))
        let prm = Conv2dLauncher.Parameters(batch: 2, inChannels: 32, outChannels: 32, height: 8, width: 8, kernelSize: 3, padding: 1)
        XCTAssertEqual(Conv2dLauncher.plan(for: prm, device: gpu).lanes, 64)

        let cpu = try Device(options: .init(cacheDirectory: nil, kernels: .cpu))
        XCTAssertEqual(try MatMulLauncher(device: cpu).variant, .texel)
        XCTAssertEqual(SoftmaxRowMapping.preferred(for: cpu), .subgroupPerRow(rowsPerWorkgroup: 8))
        XCTAssertEqual(Conv2dLauncher.plan(for: prm, device: cpu).lanes, 8)
    }
}
