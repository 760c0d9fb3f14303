import Foundation
import RetortCompute
import RetortDistill
import XCTest
@testable import retort

/// `retort selftest` run as a user runs it: every kernel family against the CPU oracles on this device.
final class SelfTestCommandTests: XCTestCase {
    private func json(_ output: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8))
        return try XCTUnwrap(object as? [String: Any], output)
    }

    private func cases(_ report: [String: Any]) throws -> [[String: Any]] {
        try XCTUnwrap(report["cases"] as? [[String: Any]])
    }

    /// `--all --json`: every case passes, the cases cover every family of the catalog in both directions
    /// where the family has a backward, and every shipped shader ran unless the device cannot use it (with a reason).
    func testAllCasesPassAndCoverEveryFamilyAndShader() throws {
        let result = try RetortProcess.run(["selftest", "--all", "--json"])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertFalse(result.errors.contains("[vulkan validation]"), result.errors)
        let report = try json(result.output)
        XCTAssert((report["device"] as? String)?.isEmpty == false, "the device line")
        XCTAssertEqual(report["passed"] as? Bool, true)
        let all = try cases(report)
        let failed = all.filter { $0["passed"] as? Bool != true }
        XCTAssert(failed.isEmpty, "failed cases: \(failed)")
        XCTAssertEqual(Set(all.compactMap { $0["family"] as? String }), Set(SelfTestCatalog.familyNames))
        for family in ["gemm", "conv", "batchnorm", "pool", "relu", "softmax"] {
            let directions = Set(all.filter { $0["family"] as? String == family }.compactMap { $0["direction"] as? String })
            XCTAssert(directions.isSuperset(of: family == "gemm" ? ["forward"] : ["forward", "backward"]), "\(family): \(directions)")
        }
        for testCase in all {
            XCTAssertNotNil(testCase["worstRelativeError"] as? Double, "a finite error: \(testCase)")
            XCTAssertNotNil(testCase["tolerance"] as? Double, "\(testCase)")
            XCTAssertNotNil(testCase["milliseconds"] as? Double, "\(testCase)")
        }
        let coverage = try XCTUnwrap(report["coverage"] as? [String: Any], "--all reports the shaders it ran")
        let dispatched = try XCTUnwrap(coverage["dispatched"] as? [String])
        let missed = try XCTUnwrap(coverage["missed"] as? [String])
        let unusable = try XCTUnwrap(coverage["unusable"] as? [String: String])
        XCTAssertEqual(missed, [], "shipped shaders no self-test case dispatched")
        XCTAssert(unusable.values.allSatisfy { !$0.isEmpty }, "every shader left out says why: \(unusable)")
        XCTAssertEqual(Set(dispatched).union(unusable.keys), Set(Shader.allCases.map(\.name) + DistillationShader.allCases.map(\.name)
                                                                  + ShaderLibrary.variantNames))
        XCTAssert(dispatched.contains("conv2d@fp16") && dispatched.contains("matmul_tiled@bf16"), "the 16-bit variants ran")
    }

    /// `--only gemm` runs the GEMM cases alone, on both variants; the table ends with a summary line.
    func testOnlyRunsTheNamedFamilies() throws {
        let gemm = try RetortProcess.run(["selftest", "--only", "gemm", "--json", "--size", "64"])
        XCTAssertEqual(gemm.status, 0, gemm.errors)
        let report = try json(gemm.output)
        let all = try cases(report)
        XCTAssertFalse(all.isEmpty)
        XCTAssertEqual(Set(all.compactMap { $0["family"] as? String }), ["gemm"])
        let names = all.compactMap { $0["name"] as? String }
        XCTAssert(names.contains { $0.hasPrefix("tiled") } && names.contains { $0.hasPrefix("texel") }, "\(names)")
        XCTAssertNil(report["coverage"], "coverage is reported after --all only")
        let table = try RetortProcess.run(["selftest", "--only", "relu,top-k"])
        XCTAssertEqual(table.status, 0, table.errors)
        XCTAssert(table.output.hasPrefix("device: "), table.output)
        XCTAssert(table.output.contains("top-k") && table.output.contains("relu"), table.output)
        XCTAssertFalse(table.output.contains("gemm "), table.output)
        XCTAssert(table.output.contains("cases passed"), table.output)
    }

    /// The default run (a few cases per family) passes with the validation layer on and prints the table.
    func testDefaultRunPassesUnderValidation() throws {
        let result = try RetortProcess.run(["selftest", "--size", "64"], environment: ["RETORT_VALIDATION": "1"])
        XCTAssertEqual(result.status, 0, result.output + result.errors)
        XCTAssert(result.output.contains("family") && result.output.contains("worst error"), result.output)
        XCTAssertFalse(result.errors.contains("[vulkan validation]"), result.errors)
        let summary = try XCTUnwrap(result.output.split(separator: "\n").last { $0.hasPrefix("selftest: ") }, result.output)
        XCTAssertFalse(summary.contains("FAILED"), String(summary))
    }

    /// An unknown family is a usage error (exit 2) that lists the valid names; `--all` with `--only` too.
    func testUnknownFamilyIsAUsageError() throws {
        let result = try RetortProcess.run(["selftest", "--only", "gemm,convolution"])
        XCTAssertEqual(result.status, 2)
        XCTAssert(result.errors.contains("'convolution'"), result.errors)
        for family in SelfTestCatalog.familyNames { XCTAssert(result.errors.contains(family), "\(family) in \(result.errors)") }
        XCTAssertEqual(try RetortProcess.run(["selftest", "--all", "--only", "gemm"]).status, 2)
    }
}
