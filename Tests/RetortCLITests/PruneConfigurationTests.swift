import XCTest
@testable import retort

/// `retort prune` settings: methods, defaults, the iterative rounds rule and the errors.
final class PruneConfigurationTests: XCTestCase {
    private func message(file: [String: Any]? = nil, flags: [String: String]) -> String {
        do {
            _ = try PruneConfiguration.resolve(file: file, flags: flags, switches: [])
            return "no error"
        } catch { return error.description }
    }

    func testDefaultsAndTheConfigFile() throws {
        let oneShot = try PruneConfiguration.resolve(file: ["weights": "t.safetensors", "epochs": 2], flags: ["method": "magnitude"], switches: [])
        XCTAssertEqual(oneShot.pruningMethod, .magnitude)
        XCTAssertEqual(oneShot.sparsity, 0.5)
        XCTAssertNil(oneShot.rounds)
        XCTAssertEqual(oneShot.epochs, 2)
        XCTAssertEqual(oneShot.json["sparsity"] as? Double, 0.5)
        XCTAssertEqual(oneShot.json["weights"] as? String, "t.safetensors")
        XCTAssertEqual(try PruneConfiguration.resolve(file: nil, flags: ["weights": "w"], switches: []).pruningMethod, .prue)

        let iterative = try PruneConfiguration.resolve(file: nil, flags: ["weights": "w", "method": "iterative", "rounds": "3"], switches: [])
        XCTAssertEqual(iterative.rate, 0.2)
        XCTAssertEqual(iterative.rounds, 3)
        // --sparsity picks the rounds: prune-then-distill's st36 / st59 / st79 are 2, 4 and 7 rounds of 20%.
        let bySparsity = try PruneConfiguration.resolve(file: ["method": "iterative", "sparsity": 0.8], flags: ["weights": "w"], switches: [])
        XCTAssertEqual(bySparsity.rounds, 7)
        XCTAssertEqual(PruneConfiguration.rounds(toReach: 0.36, rate: 0.2), 2)
        XCTAssertEqual(PruneConfiguration.rounds(toReach: 0.59, rate: 0.2), 4)
        XCTAssertEqual(PruneConfiguration.rounds(toReach: 0.01, rate: 0.2), 1)
        XCTAssertEqual(PruneConfiguration.rounds(toReach: 0.75, rate: 0.5), 2)
    }

    func testErrorsNameTheProblem() {
        XCTAssert(message(flags: ["weights": "w", "sparsity": "1"]).contains("sparsity must be a fraction strictly between 0 and 1"))
        XCTAssert(message(flags: ["weights": "w", "sparsity": "-0.1"]).contains("strictly between 0 and 1"))
        XCTAssert(message(flags: ["weights": "w", "method": "iterative", "rate": "1.5"]).contains("rate must be a fraction strictly between 0 and 1"))
        XCTAssert(message(flags: ["weights": "w", "method": "iterative", "rounds": "0"]).contains("rounds must be an integer in 1"))
        XCTAssert(message(flags: ["weights": "w", "method": "iterative", "rounds": "2", "sparsity": "0.5"]).contains("not both"))
        XCTAssert(message(flags: ["weights": "w", "rounds": "2"]).contains("apply to --method iterative"))
        XCTAssert(message(flags: ["weights": "w", "method": "snip"]).contains("unknown pruning method 'snip'"))
        XCTAssert(message(flags: [:]).contains("prune needs --weights"))
        XCTAssert(message(file: ["weights": "w", "ratio": 0.5], flags: [:]).contains("unknown key 'ratio' in the config file for 'prune'"))
        XCTAssert(message(flags: ["weights": "w", "loss": "kd"]).contains("unknown option '--loss' for 'prune'"))
    }
}
