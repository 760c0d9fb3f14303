import RetortCompute
import RetortDistill

/// Every case `retort selftest` knows, by family, and which shipped shaders a device cannot use.
enum SelfTestCatalog {
    /// The families in table order, each with its cases; `--only` takes these names.
    static func families(largestGEMM: Int) -> [(name: String, cases: () -> [SelfTestCase])] {
        [
            ("gemm", { gemmCases(largest: largestGEMM) }),
            ("conv", convolutionCases),
            ("batchnorm", batchNormCases),
            ("pool", poolCases),
            ("relu", reluCases),
            ("elementwise", elementwiseCases),
            ("unary", unaryCases),
            ("reduce", reduceCases),
            ("softmax", softmaxCases),
            ("softmax-kl", softmaxKLCases),
            ("cross-entropy", crossEntropyCases),
            ("top-k", topKCases),
            ("copy-strided", copyStridedCases),
            ("optimizer", optimizerCases),
            ("distill", distillationCases),
            ("precision", precisionCases),
        ]
    }

    /// The family names, in table order.
    static var familyNames: [String] { families(largestGEMM: 1).map(\.name) }

    /// The cases of `selected` families (all when nil); `quick` keeps about five of each family, the default run.
    static func cases(families selected: Set<String>?, quick: Bool, largestGEMM: Int) -> [SelfTestCase] {
        families(largestGEMM: largestGEMM).filter { selected?.contains($0.name) ?? true }.flatMap { family -> [SelfTestCase] in
            let all = family.cases()
            return quick ? sample(all, count: 5) : all
        }
    }

    /// About `count` cases spread over `cases`: every k-th from the first, with k coprime to 6, so that
    /// the cycles a family's list runs through (forward/backward, two or three variants) all show up.
    static func sample(_ cases: [SelfTestCase], count: Int) -> [SelfTestCase] {
        var step = max(1, cases.count / count)
        while step > 1 && (step % 2 == 0 || step % 3 == 0) { step += 1 }
        return stride(from: 0, to: cases.count, by: step).map { cases[$0] }
    }

    /// Every shipped shader: RetortCompute's (with their fp16/bf16 variants, `conv2d@fp16`) and RetortDistill's.
    static var shippedShaders: Set<String> {
        Set(ShaderLibrary.names + ShaderLibrary.variantNames + DistillationShader.allCases.map(\.name))
    }

    /// Shipped shaders this device cannot use, with the reason: no case can dispatch them, so the
    /// coverage check leaves them out.
    static func unusableShaders(on device: Device) throws -> [String: String] {
        var reasons: [String: String] = [:]
        if try SGDMultiTensorLauncher(device: device).multiTensorKernel == nil {
            reasons[Shader.sgdMultiTensor.name] = "the device cannot bind \(SGDMultiTensorLauncher.tensorsPerDispatch) tensors at once "
                + "(SGD runs one dispatch per tensor)"
        }
        if try AdamWMultiTensorLauncher(device: device).multiTensorKernel == nil {
            reasons[Shader.adamwMultiTensor.name] = "the device cannot bind \(AdamWMultiTensorLauncher.tensorsPerDispatch) tensors at once "
                + "(AdamW runs one dispatch per tensor)"
        }
        if !device.info.has16BitStorage {
            for name in ShaderLibrary.variantNames { reasons[name] = "no 16-bit storage buffers (storageBuffer16BitAccess): no mixed precision" }
        }
        return reasons
    }
}
