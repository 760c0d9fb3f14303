import Foundation

/// The self-test's console table: the device line, one row per case as it finishes, then a summary.
struct SelfTestTable {
    /// False under `--json`: the table prints nothing.
    let printing: Bool

    private static let header = ["family", "case", "direction", "result", "worst error", "tolerance", "ms"]
    private static let widths = [13, 52, 9, 6, 14, 9, 8]

    private func line(_ cells: [String]) -> String {
        zip(cells, Self.widths).enumerated().map { index, pair in
            let (cell, width) = pair
            let text = cell.count > width ? String(cell.prefix(width - 1)) + "…" : cell
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return index >= 4 ? padding + text : text + padding
        }.joined(separator: "  ")
    }

    func begin(device: String, caseCount: Int) {
        guard printing else { return }
        Console.say("device: \(device)")
        Console.say("\(caseCount) cases against the CPU oracle; ms: submit and wait on the device (a kernel's first case also compiles it)")
        Console.say("error: |x − y| / max(1, |y|) per element, or where the tolerance has * relative to the result's largest |y|")
        Console.say(line(Self.header))
    }

    func row(_ result: SelfTestResult) {
        guard printing else { return }
        let error = result.worstRelativeError.isFinite ? String(format: "%.2e", result.worstRelativeError) : "inf"
        Console.say(line([result.family, result.name, result.direction.rawValue, result.passed ? "pass" : "FAIL", error,
                    String(format: "%.0e",
                           result.tolerance) + (result.measure == .scale ? "*" : ""), String(format: "%.1f", result.milliseconds)]))
        if let failure = result.failure { Console.say("    \(failure)") }
    }

    /// The coverage lines (after `--all`) and the summary; `seconds` is the whole run, oracles included.
    func end(_ report: SelfTestReport, seconds: Double) {
        guard printing else { return }
        let failed = report.cases.filter { !$0.passed }.count
        let deviceSeconds = report.cases.reduce(0) { $0 + $1.milliseconds } / 1000
        let worst = report.cases.filter(\.passed).map { $0.worstRelativeError }.max() ?? 0
        if let coverage = report.coverage {
            let usable = coverage.dispatched.count + coverage.missed.count
            Console.say("shaders dispatched: \(coverage.dispatched.count) of \(usable) usable on this device")
            if !coverage.missed.isEmpty { Console.say("shaders no case exercised: \(coverage.missed.joined(separator: ", "))") }
            for (shader,
                 reason) in coverage.unusable.sorted(by: { $0.key < $1.key }) { Console.say("not usable here: \(shader): \(reason)") }
        }
        Console.say(String(format: "selftest: %d of %d cases passed%@ (%.1f s on the device, %.1f s in all; worst passing error %.2e)",
                           report.cases.count - failed, report.cases.count, failed == 0 ? "" : ", \(failed) FAILED", deviceSeconds, seconds,
                           worst))
    }
}
