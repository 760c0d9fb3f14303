import Foundation
import RetortCompute

/// Which shipped shaders (`Shader.allCases`, `DistillationShader.allCases`) the self-test's cases dispatched, and which none did.
struct SelfTestCoverage: Encodable {
    /// Shader names some case dispatched, sorted.
    let dispatched: [String]
    /// Shipped shaders no case dispatched although this device can use them: a gap in the catalog.
    let missed: [String]
    /// Shipped shaders this device cannot use, with the reason.
    let unusable: [String: String]

    init(dispatched names: Set<String>, shipped: Set<String>, unusable: [String: String]) {
        dispatched = names.intersection(shipped).sorted()
        missed = shipped.subtracting(names).subtracting(unusable.keys).sorted()
        self.unusable = unusable
    }
}

/// Everything one `retort selftest` run found, as `--json` writes it.
struct SelfTestReport: Encodable {
    let device: String
    let cases: [SelfTestResult]
    /// Present after `--all` only.
    let coverage: SelfTestCoverage?
    let passed: Bool

    init(device: String, cases: [SelfTestResult], coverage: SelfTestCoverage?) {
        (self.device, self.cases, self.coverage) = (device, cases, coverage)
        passed = cases.allSatisfy(\.passed)
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
