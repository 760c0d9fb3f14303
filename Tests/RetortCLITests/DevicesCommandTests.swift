import Foundation
import XCTest

/// `retort devices --verbose` and `--json`: each device's kernel choice, as a user reads it.
final class DevicesCommandTests: XCTestCase {
    static let families = ["gemm", "gemm split-K", "conv2d", "conv2d 1×1", "conv2d weight gradient", "conv2d Winograd", "batch norm",
                           "softmax, KL, cross-entropy", "element-wise, copies, optimizers", "pooling"]

    /// The lines under the chosen device, up to the next device.
    private func chosenDeviceBlock(_ output: String) -> [Substring] {
        let lines = output.split(separator: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("* [") }) else { return [] }
        let rest = lines[(start + 1)...]
        return Array(rest.prefix { !$0.hasPrefix("  [") && !$0.hasPrefix("* [") })
    }

    /// The variant printed for `family` (the text after the family's padded name).
    private func variant(of family: String, in block: [Substring]) -> String? {
        block.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(family + "  ") }
            .map { String($0.trimmingCharacters(in: .whitespaces).dropFirst(family.count)).trimmingCharacters(in: .whitespaces) }
    }

    func testVerboseNamesEveryFamilyWithAVariantAndAReason() throws {
        let result = try RetortProcess.run(["devices", "--verbose"])
        XCTAssertEqual(result.status, 0, result.errors)
        let block = chosenDeviceBlock(result.output)
        XCTAssert(block.contains { $0.contains("kernels:") && $0.contains("profile, because") }, result.output)
        XCTAssert(block.contains { $0.contains("subgroup size control:") }, result.output)
        // lavapipe has storageBuffer16BitAccess: mixed precision runs there.
        XCTAssert(block.contains { $0.contains("16-bit storage buffers: yes") }, result.output)
        for family in Self.families {
            let variant = try XCTUnwrap(variant(of: family, in: block), "\(family) missing:\n\(result.output)")
            XCTAssertFalse(variant.isEmpty, family)
        }
        let reasons = block.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("why: ") }
        XCTAssertEqual(reasons.count, Self.families.count, result.output)
        XCTAssertFalse(try RetortProcess.run(["devices"]).output.contains("why: "), "the table is for --verbose only")
        XCTAssert(try RetortProcess.run(["--help"]).output.contains("RETORT_KERNELS=gpu|cpu|auto"))
    }

    func testForcingTheGPUProfileSwitchesGEMMToTheTiledKernel() throws {
        let gpu = try RetortProcess.run(["devices", "--verbose"], environment: ["RETORT_KERNELS": "gpu"])
        XCTAssertEqual(gpu.status, 0, gpu.errors)
        let block = chosenDeviceBlock(gpu.output)
        XCTAssert(block.contains { $0.contains("gpu profile, because RETORT_KERNELS=gpu") }, gpu.output)
        XCTAssert(variant(of: "gemm", in: block)?.hasPrefix("tiled") == true, gpu.output)
        let cpu = try RetortProcess.run(["devices", "--verbose"], environment: ["RETORT_KERNELS": "cpu", "RETORT_CONV": "winograd"])
        XCTAssert(variant(of: "gemm", in: chosenDeviceBlock(cpu.output))?.hasPrefix("texel") == true, cpu.output)
        XCTAssert(cpu.output.contains("RETORT_CONV=winograd: every pass of every convolution Winograd computes runs it"), cpu.output)
        XCTAssertFalse(gpu.output.contains("RETORT_CONV="), gpu.output)
    }

    func testJSONListsTheKernelsOfEveryDevice() throws {
        func chosen(_ environment: [String: String]) throws -> [String: Any] {
            let result = try RetortProcess.run(["devices", "--json"], environment: environment)
            XCTAssertEqual(result.status, 0, result.errors)
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            let devices = try XCTUnwrap(object?["devices"] as? [[String: Any]])
            for device in devices { XCTAssertNotNil(device["kernels"] as? [[String: String]], "\(device)") }
            return try XCTUnwrap(devices.first { $0["chosen"] as? Bool == true })
        }
        let gpu = try chosen(["RETORT_KERNELS": "gpu"])
        XCTAssertEqual(gpu["kernelProfile"] as? String, "gpu")
        let kernels = try XCTUnwrap(gpu["kernels"] as? [[String: String]])
        XCTAssertEqual(kernels.map { $0["family"] }, Self.families)
        XCTAssert(kernels.allSatisfy { !($0["variant"] ?? "").isEmpty && !($0["reason"] ?? "").isEmpty })
        XCTAssert(kernels.first?["variant"]?.hasPrefix("tiled") == true, "\(kernels)")
        XCTAssertNotNil(gpu["subgroupSizeControl"], "null where the device has none, an object where it has")
        let cpu = try chosen(["RETORT_KERNELS": "cpu"])
        XCTAssert((cpu["kernels"] as? [[String: String]])?.first?["variant"]?.hasPrefix("texel") == true)
    }

    func testABadProfileIsAnErrorNamingTheChoices() throws {
        let result = try RetortProcess.run(["devices", "--verbose"], environment: ["RETORT_KERNELS": "fastest"])
        XCTAssertEqual(result.status, 1)
        XCTAssert(result.errors.contains("RETORT_KERNELS=\"fastest\" is not a kernel profile: use gpu"), result.errors)
        let conv = try RetortProcess.run(["devices", "--verbose"], environment: ["RETORT_CONV": "fastest"])
        XCTAssertEqual(conv.status, 1)
        XCTAssert(conv.errors.contains("RETORT_CONV=fastest is not an algorithm"), conv.errors)
    }
}
