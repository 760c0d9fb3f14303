import XCTest
import RetortDistill
@testable import retort

/// `--help` and the accepted options come from the commands' and methods' declarations.
final class HelpTests: XCTestCase {
    func testHelpListsEveryCommandMethodAndOption() {
        let usage = CLI.usage
        XCTAssertEqual(CLI.commands.map { $0.name }, ["devices", "train", "distill", "selfdistill", "chain", "sweep-teachers", "prune",
                                                      "online", "eval", "report", "inspect", "predict", "export", "models", "selftest"])
        for command in CLI.commands { XCTAssert(usage.contains("\n  " + command.name + " "), command.name) }
        XCTAssert(usage.contains("--loss kd|dkd|nkd|dist|sp|crd|camkd|mixkd (default kd)"), usage)
        XCTAssert(usage.contains("--method bake|zipf|tfnkd|ls"), usage)
        XCTAssert(usage.contains("--method dml|switokd|bdkd|sokd"), usage)
        XCTAssert(usage.contains("dkd: --dkd-alpha 1 --dkd-beta 8 --dkd-warmup 20"), usage)
        XCTAssert(usage.contains("kd: --kd-reduction batchmean|mean|sum --kd-t2 true|false"), usage)
        for method in DistillationMethod.offline + DistillationMethod.selfDistillation {
            for option in method.options { XCTAssert(usage.contains("--\(option.key) "), option.key) }
        }
        XCTAssert(usage.contains("--ce-weight 0.1 --loss-weight 0.9 --temperature 4"), "train --teacher-model shows kd's defaults")
        for picture in ["penultimate: ", "--classes a,b,c", "flatness: ", "[--directions 1|2]"] {
            XCTAssert(usage.contains(picture), picture)
        }
    }

    func testEveryMethodOptionIsAcceptedWhereItsMethodIs() throws {
        let specs = CLI.specs
        for option in DistillationMethod.offline.flatMap(\.options) {
            XCTAssert(specs["distill"]?.options.contains(option.key) == true, option.key)
            XCTAssert(specs["chain"]?.options.contains(option.key) == true, option.key)
        }
        for option in DistillationMethod.selfDistillation.flatMap(\.options) {
            XCTAssert(specs["selfdistill"]?.options.contains(option.key) == true, option.key)
        }
        for option in OnlineMethod.allCases.flatMap(\.options) {
            XCTAssert(specs["online"]?.options.contains(option.key) == true, option.key)
        }
        XCTAssertEqual(try Arguments.parse(["train", "--kd-alpha", "1"], specs: specs, global: []).options, ["kd-alpha": "1"],
                       "the old key reaches the configuration, which names the new one")
    }
}
