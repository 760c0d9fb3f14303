import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class KernelTests: DeviceTestCase {
    func testPipelinesAreBuiltOncePerShaderAndSpecialization() throws {
        let bindings: [Kernel.Binding] = [.texel(.r32f), .texel(.r32f), .storage(.write)]
        let add = try device.kernel(.elementwise, bindings: bindings, pushConstants: 1, constants: [0])
        XCTAssert(add === (try device.kernel(.elementwise, bindings: bindings, pushConstants: 1, constants: [0])))
        XCTAssert(add !== (try device.kernel(.elementwise, bindings: bindings, pushConstants: 1, constants: [2])))
        XCTAssert(add !== (try device.kernel(.elementwise, bindings: bindings, pushConstants: 1, localSize: [128], constants: [0])))
    }

    func testUnknownShaderAndBadWorkgroupAreTypedErrors() {
        XCTAssertThrowsError(try device.kernel(MissingShader.noSuchShader, bindings: [])) { error in
            guard case VulkanError.shaderNotFound(let name, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "no_such_shader")
        }
        XCTAssertNil(Shader(rawValue: "no_such_shader"))
        XCTAssertThrowsError(try ShaderLibrary.spirv(named: "no_such_shader")) { error in
            guard case VulkanError.shaderNotFound(_, let available) = error else { return XCTFail("\(error)") }
            XCTAssert(available.contains("matmul"))
        }
        XCTAssertThrowsError(try device.kernel(TestShader.scale, bindings: [.storage(.readWrite)], pushConstants: 3, localSize: [4096, 4096, 1]))
        XCTAssertThrowsError(try device.kernel(TestShader.scale, bindings: [.storage(.readWrite)], pushConstants: 33))
    }

    /// Every binary element-wise op against the CPU, on sizes that are and are not workgroup multiples.
    func testElementwiseOpsMatchTheCPU() throws {
        let ops: [(UInt32, (Double, Double) -> Double)] = [(0, +), (1, -), (2, *), (3, /), (4, { max($0, $1) }), (5, { min($0, $1) })]
        var random = TestRandom(seed: 3)
        let stream = try device.makeStream()
        for count in [1, 7, 64, 1000, 65_537] {
            let x = random.floats(count)
            let y = random.floats(count, in: 0.5...2)
            let a = try device.makeBuffer(x), b = try device.makeBuffer(y)
            for (op, reference) in ops {
                let kernel = try device.kernel(.elementwise, bindings: [.texel(.r32f), .texel(.r32f), .storage(.write)],
                                               pushConstants: 1, constants: [.uint(op)])
                let c = try device.makeBuffer(byteCount: count * 4)
                try stream.dispatch(kernel, [a, b, c], push: [.count(count)], groups: kernel.groups(covering: (count, 1, 1)))
                try stream.run()
                let expected = zip(x, y).map { reference(Double($0), Double($1)) }
                XCTAssertLessThanOrEqual(maxRelativeError(try c.read(Float.self), expected), 1e-6, "op \(op), count \(count)")
            }
        }
    }

    /// Subgroup reductions must not assume a subgroup size (the suite runs at 4 and 8 on lavapipe),
    /// nor that the workgroup is a whole number of subgroups (widths 36 and 7).
    func testRowSumsThroughSubgroupsMatchTheCPU() throws {
        var random = TestRandom(seed: 11)
        let stream = try device.makeStream()
        for (rows, cols, width) in [(1, 1, 32), (3, 7, 64), (17, 1000, 64), (5, 4099, 256), (2, 33, 1), (4, 100, 36), (3, 50, 7)] {
            let x = random.floats(rows * cols)
            let kernel = try device.kernel(TestShader.reduceRows, bindings: [.texel(.r32f), .storage(.write)], pushConstants: 2,
                                           localSize: [UInt32(width)])
            let input = try device.makeBuffer(x), output = try device.makeBuffer(byteCount: rows * 4)
            try stream.dispatch(kernel, [input, output], push: [.count(rows), .count(cols)], groups: (rows, 1, 1))
            try stream.run()
            let expected = (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + Double(x[r * cols + $1]) } }
            XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), expected), 1e-5, "\(rows)x\(cols), workgroup \(width)")
        }
    }

    func testSameInputsGiveTheSameBits() throws {
        var random = TestRandom(seed: 5)
        let x = random.floats(64 * 777)
        let kernel = try device.kernel(TestShader.reduceRows, bindings: [.texel(.r32f), .storage(.write)], pushConstants: 2, localSize: [64])
        let input = try device.makeBuffer(x)
        let stream = try device.makeStream()
        var results: [[UInt32]] = []
        for _ in 0..<3 {
            let output = try device.makeBuffer(byteCount: 64 * 4)
            try stream.dispatch(kernel, [input, output], push: [64, 777], groups: (64, 1, 1))
            try stream.run()
            results.append(try output.read(UInt32.self))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }
}

/// A shader set whose one module was never embedded.
private enum MissingShader: String, EmbeddedShader {
    case noSuchShader = "no_such_shader"
    static let embeddedModules: [String: String] = [:]
}

final class ShaderLibraryTests: XCTestCase {
    func testEveryShaderIsEmbedded() throws {
        XCTAssertEqual(ShaderLibrary.names, try ShaderModuleChecks.stems(in: Self.shaderDirectory))
        XCTAssertEqual(Shader.allCases.map(\.rawValue).sorted(), ShaderLibrary.names)
        // One variant per precision a shader's header names, and no other.
        var declared: [String] = []
        for stem in ShaderLibrary.names {
            let source = try String(contentsOf: Self.shaderDirectory.appendingPathComponent("\(stem).comp"), encoding: .utf8)
            let line = source.split(separator: "\n").first { $0.hasPrefix("// precisions:") }
            declared += (line?.dropFirst("// precisions:".count).split(separator: " ") ?? []).map { "\(stem)@\($0)" }
        }
        XCTAssertEqual(ShaderLibrary.variantNames, declared.sorted())
        XCTAssertTrue(declared.contains("conv2d@fp16") && declared.contains("conv2d@bf16"))
        for name in ShaderLibrary.variantNames {
            let stem = String(name.prefix { $0 != "@" })
            let precision = try XCTUnwrap(Precision(rawValue: String(name.drop { $0 != "@" }.dropFirst())))
            XCTAssertTrue(try XCTUnwrap(Shader(rawValue: stem)).supports(precision), name)
            XCTAssertNotEqual(try Shader(rawValue: stem)!.spirv(precision: precision), try Shader(rawValue: stem)!.spirv(), name)
        }
    }

    func testTestShadersAreEmbeddedInTheTestsOnly() throws {
        let testShaders = try ShaderModuleChecks.stems(in: Self.testShaderDirectory)
        XCTAssertEqual(TestShader.allCases.map(\.rawValue).sorted(), testShaders)
        XCTAssertEqual(TestShader.embeddedModules.keys.sorted(), testShaders)
        XCTAssert(Set(testShaders).isDisjoint(with: ShaderLibrary.names), "test-only shaders ship in RetortCompute")
        for shader in TestShader.allCases {
            XCTAssertEqual(try shader.spirv().first, 0x0723_0203, "\(shader) does not start with the SPIR-V magic number")
        }
    }

    func testCaseNamesAreTheStemsInLowerCamelCase() {
        XCTAssertEqual(Shader(rawValue: "conv2d_backward_data"), .conv2dBackwardData)
        XCTAssertEqual(TestShader.reduceRows.name, "reduce_rows")
    }

    func testEveryModulePassesSpirvVal() throws {
        try ShaderModuleChecks.assertEveryModulePassesSpirvVal(Shader.self)
    }

    static var shaderDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "Shaders")
    }

    static var testShaderDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "RetortTestSupport/Shaders")
    }
}
