// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Retort",
    products: [
        .library(name: "Retort", targets: ["RetortCompute", "Retort", "RetortNN", "RetortData", "RetortDistill"]),
        .executable(name: "retort", targets: ["retort"]),
        .executable(name: "retort-bench", targets: ["retort-bench"]),
    ],
    targets: [
        // Vulkan headers only: the loader is opened at run time (see Sources/RetortCompute/Vulkan/Loader.swift),
        // so a machine without libvulkan gets a typed error instead of a dynamic-linker failure.
        .systemLibrary(name: "CVulkan", path: "Sources/CVulkan"),
        // zlib, for the gzip-compressed IDX files (Fashion-MNIST ships as .gz).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Build-time shader pipeline: glslc compiles Shaders/*.comp, the SPIR-V is embedded as base64 behind a typed enum.
        .executableTarget(name: "ShaderEmbedder", path: "Sources/ShaderEmbedder"),
        .plugin(name: "ShaderCompiler", capability: .buildTool(), dependencies: ["ShaderEmbedder"],
                path: "Plugins/ShaderCompiler"),

        .target(name: "RetortCompute", dependencies: ["CVulkan"], plugins: ["ShaderCompiler"]),
        .target(name: "Retort", dependencies: ["RetortCompute"]),
        .target(name: "RetortNN", dependencies: ["Retort"]),
        .target(name: "RetortData", dependencies: ["Retort", "CZlib"]),
        .target(name: "RetortDistill", dependencies: ["RetortNN", "RetortData"]),

        .executableTarget(name: "retort", dependencies: ["RetortCompute", "Retort", "RetortNN", "RetortDistill"]),
        .executableTarget(name: "retort-bench", dependencies: ["RetortCompute", "Retort", "RetortNN"],
                          path: "Benchmarks/retort-bench"),

        // Shared by the test targets: the validated test device, base test cases, comparisons.
        // Its Shaders/ folder holds test-only shaders, compiled into `TestShader` by the same plugin.
        .target(name: "RetortTestSupport", dependencies: ["RetortCompute", "Retort"], path: "Tests/RetortTestSupport",
                exclude: ["Shaders"], plugins: ["ShaderCompiler"]),
        .testTarget(name: "RetortComputeTests", dependencies: ["RetortCompute", "Retort", "RetortTestSupport"]),
        .testTarget(name: "RetortTests", dependencies: ["Retort", "RetortTestSupport"]),
        .testTarget(name: "RetortCLITests", dependencies: ["retort"]),
        .testTarget(name: "RetortDistillTests", dependencies: ["RetortDistill", "RetortTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "RetortNNTests", dependencies: ["RetortNN", "RetortCompute", "RetortTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "RetortDataTests", dependencies: ["RetortData"]),
    ]
)
