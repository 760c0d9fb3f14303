// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Retort",
    products: [
        .library(name: "Retort", targets: ["RetortRandom", "RetortCheckpoint", "RetortCompute", "Retort", "RetortNN",
                                           "RetortData", "RetortDistill", "RetortDistributed", "RetortReport"]),
        .executable(name: "retort", targets: ["retort"]),
        .executable(name: "retort-bench", targets: ["retort-bench"]),
    ],
    targets: [
        // Vulkan headers only: the loader is opened at run time (see Sources/RetortCompute/Vulkan/Loader.swift),
        // so a machine without libvulkan gets a typed error instead of a dynamic-linker failure.
        .systemLibrary(name: "CVulkan", path: "Sources/CVulkan"),
        // zlib, for the gzip-compressed IDX files (Fashion-MNIST ships as .gz).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libjpeg-turbo and libpng, for the JPEG and PNG files of image-folder datasets.
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),

        // Build-time shader pipeline: glslc compiles Shaders/*.comp, the SPIR-V is embedded as base64 behind a typed enum.
        .executableTarget(name: "ShaderEmbedder", path: "Sources/ShaderEmbedder"),
        .plugin(name: "ShaderCompiler", capability: .buildTool(), dependencies: ["ShaderEmbedder"],
                path: "Plugins/ShaderCompiler"),
        // Build-time registries: lists the types conforming to a target's `Registered…` protocols.
        .executableTarget(name: "RegistryGenerator", path: "Sources/RegistryGenerator"),
        .plugin(name: "RegistryPlugin", capability: .buildTool(), dependencies: ["RegistryGenerator"],
                path: "Plugins/RegistryPlugin"),

        // Host-only building blocks (the seeded generator, checkpoint files): no Vulkan, so datasets,
        // checkpoint I/O and their tests work on a machine without a device.
        .target(name: "RetortRandom"),
        .target(name: "RetortCheckpoint"),
        // Collectives between the processes of a data-parallel job. Open MPI is opened at run time
        // (dlopen), so no binary links it and a plain `retort` starts where Open MPI is not installed.
        .target(name: "RetortDistributed"),
        // Pictures and logs of runs: self-contained SVG charts, HTML pages, TensorBoard event files.
        .target(name: "RetortReport", dependencies: ["RetortCheckpoint"]),

        .target(name: "RetortCompute", dependencies: ["CVulkan"], plugins: ["ShaderCompiler"]),
        .target(name: "Retort", dependencies: ["RetortCompute", "RetortRandom", "RetortDistributed", "RetortCheckpoint"]),
        // The CPU oracles (Double) of the kernels, one per op family: the kernel tests and `retort selftest` share them.
        .target(name: "RetortOracle", dependencies: ["RetortCompute"]),
        .target(name: "RetortNN", dependencies: ["Retort", "RetortCheckpoint", "RetortDistributed"]),
        .target(name: "RetortData", dependencies: ["RetortRandom", "CZlib", "CTurboJPEG", "CPNG"]),
        // RetortDistill's Shaders/ folder holds the distillation-only kernels (CRD's memory bank, Zipf
        // targets), compiled into `DistillationShader` by the same plugin.
        .target(name: "RetortDistill", dependencies: ["RetortCompute", "Retort", "RetortNN", "RetortData", "RetortDistributed"],
                exclude: ["Shaders"],
                plugins: ["RegistryPlugin", "ShaderCompiler"]),

        .executableTarget(name: "retort", dependencies: ["RetortCompute", "Retort", "RetortNN", "RetortDistill", "RetortDistributed",
                                                         "RetortReport", "RetortOracle"],
                          plugins: ["RegistryPlugin"]),
        .executableTarget(name: "retort-bench", dependencies: ["RetortCompute", "Retort", "RetortNN", "RetortDistill", "RetortDistributed"],
                          path: "Benchmarks/retort-bench"),

        // Shared by the test targets: host-only helpers (temporary directories, typed-error assertions),
        // and the validated test device, base test cases, comparisons. RetortTestSupport's Shaders/
        // folder holds test-only shaders, compiled into `TestShader` by the same plugin.
        .target(name: "RetortHostTestSupport", path: "Tests/RetortHostTestSupport"),
        .target(name: "RetortTestSupport", dependencies: ["RetortCompute", "Retort", "RetortOracle"], path: "Tests/RetortTestSupport",
                exclude: ["Shaders"], plugins: ["ShaderCompiler"]),
        .testTarget(name: "RetortComputeTests", dependencies: ["RetortCompute", "Retort", "RetortTestSupport"]),
        .testTarget(name: "RetortTests", dependencies: ["Retort", "RetortDistributed", "RetortTestSupport"]),
        .testTarget(name: "RetortCLITests", dependencies: ["retort", "RegistryGenerator", "RetortCheckpoint", "RetortNN", "RetortHostTestSupport"]),
        .testTarget(name: "RetortDistillTests", dependencies: ["RetortDistill", "RetortTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "RetortNNTests", dependencies: ["RetortNN", "RetortCompute", "RetortDistributed", "RetortTestSupport",
                                                    "RetortHostTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "RetortDataTests", dependencies: ["RetortData", "RetortRandom"]),
        .testTarget(name: "RetortRandomTests", dependencies: ["RetortRandom"]),
        .testTarget(name: "RetortDistributedTests", dependencies: ["RetortDistributed"]),
        .testTarget(name: "RetortReportTests", dependencies: ["RetortReport", "RetortHostTestSupport"]),
        .testTarget(name: "RetortCheckpointTests", dependencies: ["RetortCheckpoint", "RetortHostTestSupport"]),
    ]
)
