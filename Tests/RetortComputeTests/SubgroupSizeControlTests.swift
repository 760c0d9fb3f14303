import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

/// What a pipeline requires for each subgroup layout, under Vulkan's rules (no Vulkan).
final class SubgroupSizeControlRuleTests: XCTestCase {
    private func control(min: Int, max: Int, size: Bool = true, full: Bool = true, subgroups: Int = 32) -> SubgroupSizeControl {
        SubgroupSizeControl(minSize: min, maxSize: max, maxComputeWorkgroupSubgroups: subgroups, requiresSizeInCompute: size,
                            requiresFullSubgroups: full)
    }

    func testFullSubgroupsOfTheDefaultSizeWhereTheWorkgroupAllows() {
        let lavapipe = control(min: 8, max: 8)
        XCTAssertEqual(lavapipe.request(for: .any, localSize: [64, 1, 1], defaultSize: 8), .none)
        XCTAssertEqual(lavapipe.request(for: .full, localSize: [64, 1, 1], defaultSize: 8),
                       SubgroupRequest(fullSubgroups: true, requiredSize: 8))
        XCTAssertEqual(lavapipe.request(for: .exactly(8), localSize: [8, 8, 1], defaultSize: 8),
                       SubgroupRequest(fullSubgroups: true, requiredSize: 8))
        // A width of 12 is not a multiple of 8: the size alone.
        XCTAssertEqual(lavapipe.request(for: .full, localSize: [12, 1, 1], defaultSize: 8),
                       SubgroupRequest(fullSubgroups: false, requiredSize: 8))
    }

    func testSizesOutsideTheRangeOrTheWorkgroupLimitAreNotRequired() {
        let intel = control(min: 8, max: 32, subgroups: 4)
        XCTAssertEqual(intel.request(for: .exactly(64), localSize: [64, 1, 1], defaultSize: 32),
                       SubgroupRequest(fullSubgroups: true, requiredSize: nil))
        XCTAssertNil(intel.request(for: .exactly(12), localSize: [12, 1, 1], defaultSize: 32).requiredSize, "not a power of two")
        // 256 invocations are 32 subgroups of 8, beyond the 4 a workgroup may hold.
        XCTAssertNil(intel.request(for: .exactly(8), localSize: [8, 32, 1], defaultSize: 32).requiredSize)
        XCTAssertEqual(intel.request(for: .exactly(16), localSize: [16, 4, 1], defaultSize: 32),
                       SubgroupRequest(fullSubgroups: true, requiredSize: 16))
    }

    func testWithoutRequiredSizesFullSubgroupsNeedAMultipleOfTheLargestSize() {
        let amd = control(min: 32, max: 64, size: false)
        XCTAssertEqual(amd.request(for: .full, localSize: [64, 1, 1], defaultSize: 64),
                       SubgroupRequest(fullSubgroups: true, requiredSize: nil))
        XCTAssertEqual(amd.request(for: .full, localSize: [32, 1, 1], defaultSize: 64), .none)
        let noFull = control(min: 32, max: 32, full: false)
        XCTAssertEqual(noFull.request(for: .full, localSize: [64, 1, 1], defaultSize: 32),
                       SubgroupRequest(fullSubgroups: false, requiredSize: 32))
    }

    func testDescriptionNamesTheSizesAndWhatComputeMayRequire() {
        XCTAssertEqual(control(min: 8, max: 8).description, "size 8, required size and full subgroups in compute")
        XCTAssertEqual(control(min: 32, max: 64, size: false).description, "sizes 32–64, full subgroups in compute")
    }

    func testShadersThatHandOutWorkByLaneAreFoundInTheirSPIRV() throws {
        let lane = SPIRVModule.subgroupLocalInvocationID
        for shader in [Shader.relu, .sgd, .adamw, .copyStrided, .broadcast] {
            XCTAssertTrue(SPIRVModule.readsBuiltIn(lane, in: try shader.spirv()), "\(shader.name) reads gl_SubgroupInvocationID")
        }
        for shader in [Shader.matmul, .matmulTiled, .softmax, .conv2d, .batchnorm] {
            XCTAssertFalse(SPIRVModule.readsBuiltIn(lane, in: try shader.spirv()), "\(shader.name) does not")
        }
        XCTAssertFalse(SPIRVModule.readsBuiltIn(lane, in: [0x0723_0203, 0x10000, 0, 1, 0, 0xFFFF_0047]), "a truncated module")
    }
}

/// Pipelines on the test device require the layout their kernels assume, where the device allows it.
final class SubgroupSizeControlDeviceTests: DeviceTestCase {
    func testSubgroupSizeControlCoversTheDefaultSize() throws {
        if device.info.isLavapipe {
            XCTAssertNotNil(device.info.subgroupSizeControl, "Mesa 22.3's lavapipe exposes VK_EXT_subgroup_size_control")
        }
        guard let control = device.info.subgroupSizeControl else { return }
        XCTAssert((control.minSize...control.maxSize).contains(device.info.subgroupSize), "\(control)")
        XCTAssertTrue(control.requiresSizeInCompute || control.requiresFullSubgroups)
    }

    func testKernelsGetTheSubgroupsTheyAssume() throws {
        let size = device.info.subgroupSize
        let relu = try device.kernel(.relu, bindings: [.texel(.r32f), .texel(.r32f), .storage(.write)], pushConstants: 1, localSize: [64],
                                     constants: [.uint(0), .uint(1)])
        XCTAssertEqual(relu.subgroupLayout, .full)
        let matmul = try device.kernel(.matmulReduce, bindings: [.texel(.r32f), .storage(.readWrite), .texel(.r32f)], pushConstants: 6,
                                       localSize: [64], constants: [.uint(0)])
        XCTAssertEqual(matmul.subgroupLayout, .any)
        XCTAssertEqual(matmul.subgroups, .none)
        let rows = try SoftmaxKernelPair(device: device, shader: .softmax, bindings: { [.texel($0), .storage(.write)] },
                                         pushConstants: SoftmaxLauncher.Push.self, mapping: .subgroupPerRow(rowsPerWorkgroup: 3))
        XCTAssertEqual(rows.vector.subgroupLayout, .exactly(size))
        let perWorkgroup = try SoftmaxKernelPair(device: device, shader: .softmax, bindings: { [.texel($0), .storage(.write)] },
                                                 pushConstants: SoftmaxLauncher.Push.self, mapping: .workgroupPerRow(lanes: 36))
        XCTAssertEqual(perWorkgroup.scalar.subgroupLayout, .any)
        guard let control = device.info.subgroupSizeControl else { return }
        XCTAssertEqual(relu.subgroups, control.request(for: .full, localSize: [64, 1, 1], defaultSize: size))
        XCTAssertEqual(rows.vector.subgroups, SubgroupRequest(fullSubgroups: true, requiredSize: size))
        if device.info.isLavapipe { XCTAssertEqual(relu.subgroups, SubgroupRequest(fullSubgroups: true, requiredSize: size)) }
    }
}
