import Foundation
import XCTest
import RetortCompute
import RetortDistill
import RetortTestSupport

/// The distillation-only shaders: each `.comp` file of RetortDistill's `Shaders` folder is embedded as
/// a `DistillationShader` case, none of them ships in RetortCompute, and every module is valid SPIR-V.
final class DistillationShaderTests: XCTestCase {
    func testEveryShaderIsEmbeddedInRetortDistillOnly() throws {
        let stems = try ShaderModuleChecks.stems(in: Self.shaderDirectory)
        XCTAssertFalse(stems.isEmpty)
        XCTAssertEqual(DistillationShader.allCases.map(\.rawValue).sorted(), stems)
        XCTAssertEqual(DistillationShader.embeddedModules.keys.sorted(), stems)
        XCTAssert(Set(stems).isDisjoint(with: ShaderLibrary.names), "distillation shaders ship in RetortCompute")
        XCTAssertEqual(DistillationShader.contrastiveMemoryScoresBackward.name, "contrastive_memory_scores_backward")
    }

    func testEveryModulePassesSpirvVal() throws {
        try ShaderModuleChecks.assertEveryModulePassesSpirvVal(DistillationShader.self)
    }

    static var shaderDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "Sources/RetortDistill/Shaders")
    }
}
