import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class DeviceTests: DeviceTestCase {
    func testSummaryLineNamesTheDeviceAndItsLimits() {
        let info = device.info
        let summary = info.summary
        XCTAssertFalse(info.name.isEmpty)
        for part in [info.name, info.driverInfo, "Vulkan \(info.apiVersion)", "subgroup \(info.subgroupSize)",
                     "shared memory", "max binding", "heaps"] {
            XCTAssert(summary.contains(part), "summary lacks \(part): \(summary)")
        }
        XCTAssertFalse(summary.contains("\n"), "the summary must be one line")
        XCTAssertGreaterThan(info.subgroupSize, 0)
        XCTAssertGreaterThanOrEqual(info.maxStorageBufferRange, 1 << 27)
        XCTAssertFalse(info.heaps.isEmpty)
    }

    /// The kernel tests run twice on lavapipe, at `LP_NATIVE_VECTOR_WIDTH=256` and `128`; this checks
    /// that the setting really reached the driver (subgroup 8 and 4).
    func testSubgroupSizeFollowsLavapipeVectorWidth() throws {
        guard device.info.isLavapipe, let width = ProcessInfo.processInfo.environment["LP_NATIVE_VECTOR_WIDTH"].flatMap(Int.init) else {
            XCTAssertGreaterThan(device.info.subgroupSize, 0)
            return
        }
        XCTAssertEqual(device.info.subgroupSize, width / 32)
    }

    func testAvailableListsTheChosenDevice() throws {
        let devices = try Device.available()
        XCTAssert(devices.contains { $0.name == device.info.name && $0.index == device.info.index })
        XCTAssertEqual(devices.map(\.index), Array(devices.indices))
    }

    func testUnknownDeviceSelectorIsATypedErrorListingDevices() throws {
        var options = Device.Options(selector: "no-such-gpu-anywhere", validation: false, cacheDirectory: nil)
        XCTAssertThrowsError(try Device(options: options)) { error in
            guard case VulkanError.noMatchingDevice(let selector, let available) = error else {
                return XCTFail("expected noMatchingDevice, got \(error)")
            }
            XCTAssertEqual(selector, "no-such-gpu-anywhere")
            XCTAssertFalse(available.isEmpty)
            XCTAssert("\(error)".contains("RETORT_DEVICE"), "\(error)")
        }
        options.selector = "999"
        XCTAssertThrowsError(try Device(options: options))
    }

    func testSelectorByIndexAndByNameOpenThatDevice() throws {
        let byIndex = try Device(options: .init(selector: "\(device.info.index)", cacheDirectory: nil))
        XCTAssertEqual(byIndex.info.index, device.info.index)
        let word = String(device.info.name.prefix(4)).uppercased()
        let byName = try Device(options: .init(selector: word, cacheDirectory: nil))
        XCTAssert(byName.info.name.uppercased().contains(word))
    }

    func testOptionsFromEnvironment() {
        let options = Device.Options.fromEnvironment(["RETORT_DEVICE": "1", "RETORT_VALIDATION": "1", "XDG_CACHE_HOME": "/tmp/x"])
        XCTAssertEqual(options.selector, "1")
        XCTAssertTrue(options.validation)
        XCTAssertEqual(options.cacheDirectory?.path, "/tmp/x/retort")
        let plain = Device.Options.fromEnvironment(["HOME": "/home/u"])
        XCTAssertNil(plain.selector)
        XCTAssertFalse(plain.validation)
        XCTAssertEqual(plain.cacheDirectory?.path, "/home/u/.cache/retort")
    }

    func testPipelineCacheIsWrittenUnderTheCacheDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "retort-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cached = try Device(options: .init(cacheDirectory: directory))
        _ = try cached.kernel(TestShader.scale, bindings: [.storage(.readWrite)], pushConstants: 3)
        XCTAssertNil(cached.savePipelineCache())
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(files.count, 1)
        XCTAssert(files[0].contains(cached.info.pipelineCacheUUID), "\(files)")
        XCTAssertFalse(files.contains { $0.hasSuffix(".tmp") })
    }
}

final class DeviceSelectionTests: XCTestCase {
    private func fake(_ index: Int, _ name: String, _ kind: DeviceInfo.Kind, unusable: String? = nil) -> DeviceInfo {
        DeviceInfo(index: index, name: name, kind: kind, vendorID: 0, deviceID: 0, driverName: "d", driverInfo: "i", driverVersion: 0,
                   apiVersion: "1.3.0", subgroupSize: 32, maxSharedMemory: 49152, maxStorageBufferRange: 1 << 32,
                   maxMemoryAllocationSize: 1 << 32, maxTexelBufferElements: 1 << 27, heaps: [], hasHostVisibleDeviceMemory: false,
                   isLavapipe: false, pipelineCacheUUID: "00", unusableReason: unusable)
    }

    func testPrefersDiscreteThenIntegratedThenVirtualThenCPU() throws {
        let cpu = fake(0, "llvmpipe", .cpu), igpu = fake(1, "Intel UHD", .integrated)
        let dgpu = fake(2, "NVIDIA H100", .discrete), vgpu = fake(3, "virtio", .virtual)
        XCTAssertEqual(try DeviceInfo.choose(from: [cpu, igpu, dgpu, vgpu], selector: nil).index, 2)
        XCTAssertEqual(try DeviceInfo.choose(from: [cpu, igpu, vgpu], selector: nil).index, 1)
        XCTAssertEqual(try DeviceInfo.choose(from: [cpu, vgpu], selector: nil).index, 3)
        XCTAssertEqual(try DeviceInfo.choose(from: [cpu], selector: nil).index, 0)
    }

    func testTiesGoToTheFirstDeviceAndUnusableOnesAreSkipped() throws {
        let devices = [fake(0, "old", .discrete, unusable: "Vulkan 1.2 or newer is required"), fake(1, "A", .discrete), fake(2, "B", .discrete)]
        XCTAssertEqual(try DeviceInfo.choose(from: devices, selector: nil).index, 1)
        XCTAssertThrowsError(try DeviceInfo.choose(from: [devices[0]], selector: nil)) { error in
            XCTAssertEqual(error as? VulkanError, .noDevice)
        }
    }

    func testSelectorByIndexOrCaseInsensitiveNameSubstring() throws {
        let devices = [fake(0, "llvmpipe (LLVM 15)", .cpu), fake(1, "NVIDIA H100 80GB", .discrete)]
        XCTAssertEqual(try DeviceInfo.choose(from: devices, selector: "0").index, 0)
        XCTAssertEqual(try DeviceInfo.choose(from: devices, selector: "LLVMPIPE").index, 0)
        XCTAssertEqual(try DeviceInfo.choose(from: devices, selector: "h100").index, 1)
        XCTAssertEqual(try DeviceInfo.choose(from: devices, selector: "  ").index, 1, "a blank selector means automatic")
        XCTAssertThrowsError(try DeviceInfo.choose(from: devices, selector: "radeon")) { error in
            XCTAssert("\(error)".contains("[1] NVIDIA H100 80GB"), "the message lists the devices: \(error)")
        }
    }

    func testNoDeviceMessageSaysWhatToInstall() {
        XCTAssert(VulkanError.noDevice.description.contains("mesa-vulkan-drivers"))
        XCTAssert(VulkanError.loaderNotFound(tried: ["libvulkan.so.1"]).description.contains("libvulkan1"))
        XCTAssert(VulkanError.validationLayerMissing.description.contains("vulkan-validationlayers"))
    }
}
