import Foundation
import RetortCompute

/// `retort selftest`: every kernel family on the chosen device against its CPU oracle (as ggml's
/// `test-backend-ops`): a table of the cases, worst relative errors and times; exit 1 on any failure.
enum SelfTestCommand: RegisteredCommand {
    static let name = "selftest"
    static let order = 120
    static let summary = """
        check every kernel on the chosen device against its CPU oracle (forward and backward, the zoo's
        and odd shapes, every variant); a table of worst relative errors, exit 1 on any failure
        """
    static var usage: String {
        """
        --all           every case of every family (default: about five cases per family)
        --only F,F      only these families (comma-separated):
                        \(familyList)
        --json          machine-readable output: the device, every case, the shaders no case ran, passed
        --size N        largest square GEMM to check (default 256)
        --seed S        random seed of the inputs (default 1)
        """
    }

    /// The family names, wrapped under `--only`'s description.
    private static var familyList: String {
        var lines = [String]()
        for name in SelfTestCatalog.familyNames {
            if let last = lines.last, last.count + name.count < 72 { lines[lines.count - 1] = last + ", " + name } else { lines.append(name) }
        }
        return lines.joined(separator: ",\n" + String(repeating: " ", count: 16))
    }
    static let spec = Arguments.Spec(options: ["size", "seed", "only"], flags: ["all", "json"])

    static func run(_ arguments: Arguments, launch: Launch) throws {
        let largest = try arguments.integer("size", default: 256, range: 1...2048)
        let seed = try arguments.integer("seed", default: 1, range: 0...Int(Int32.max))
        let selected = try families(arguments)
        let all = arguments.flags.contains("all")
        let json = arguments.flags.contains("json")
        let device = try Device()
        // Without 16-bit storage the device runs no mixed precision: its 16-bit variants are listed as unusable.
        let cases = SelfTestCatalog.cases(families: selected, quick: !all && selected == nil, largestGEMM: largest)
            .filter { $0.family != "precision" || device.info.has16BitStorage }
        let bench = try SelfTestBench(device: device, seed: UInt64(seed))
        let table = SelfTestTable(printing: !json)
        table.begin(device: device.info.summary, caseCount: cases.count)
        var results: [SelfTestResult] = []
        let start = Date()
        for testCase in cases {
            (bench.measure, bench.deviceSeconds) = (testCase.measure, 0)
            var failure: String?
            var error = Double.infinity
            do { error = try testCase.run(bench) } catch let caught {
                failure = "\(caught)"
                try bench.replaceStream()
            }
            let result = SelfTestResult(testCase, worstRelativeError: error, milliseconds: bench.deviceSeconds * 1000, failure: failure)
            table.row(result)
            results.append(result)
        }
        device.savePipelineCache()
        // Coverage only means something when every family ran.
        let coverage = all ? try SelfTestCoverage(dispatched: bench.dispatchedKernelNames, shipped: SelfTestCatalog.shippedShaders,
                                                  unusable: SelfTestCatalog.unusableShaders(on: device)) : nil
        let report = SelfTestReport(device: device.info.summary, cases: results, coverage: coverage)
        if json { print(try report.json()) } else { table.end(report, seconds: Date().timeIntervalSince(start)) }
        let failed = results.filter { !$0.passed }
        guard failed.isEmpty else {
            let names = failed.prefix(10).map { "\($0.family) \($0.name) (\($0.direction.rawValue))" }.joined(separator: "; ")
            throw CLIError.failed("selftest failed: \(failed.count) of \(results.count) cases differ from the CPU oracle: \(names)"
                                  + (failed.count > 10 ? "; …" : ""))
        }
    }

    /// The families `--only` names (nil without it); an unknown name is a usage error listing the valid ones.
    static func families(_ arguments: Arguments) throws -> Set<String>? {
        guard let text = arguments.options["only"] else { return nil }
        if arguments.flags.contains("all") { throw CLIError.usage("--all and --only exclude each other; give one") }
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let known = SelfTestCatalog.familyNames
        let unknown = names.filter { !known.contains($0) }
        guard unknown.isEmpty, !names.isEmpty else {
            throw CLIError.usage("--only: unknown family \(unknown.map { "'\($0)'" }.joined(separator: ", "))"
                                 + "; the families are \(known.joined(separator: ", "))")
        }
        return Set(names)
    }
}
