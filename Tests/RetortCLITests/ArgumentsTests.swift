import XCTest
@testable import retort

final class ArgumentsTests: XCTestCase {
    let specs: [String: Arguments.Spec] = ["train": .init(options: ["epochs", "lr"], flags: ["json"]), "devices": .init()]

    func testCommandOptionsAndFlags() throws {
        let parsed = try Arguments.parse(["train", "--epochs", "3", "--lr=0.1", "--json"], specs: specs, global: ["help"])
        XCTAssertEqual(parsed.command, "train")
        XCTAssertEqual(parsed.options, ["epochs": "3", "lr": "0.1"])
        XCTAssertEqual(parsed.flags, ["json"])
        XCTAssertEqual(try parsed.integer("epochs", default: 1, range: 1...10), 3)
        XCTAssertEqual(try parsed.integer("missing", default: 9, range: 1...10), 9)
    }

    func testGlobalFlagsAnywhere() throws {
        XCTAssertEqual(try Arguments.parse(["-h"], specs: specs, global: ["help"]).flags, ["help"])
        XCTAssertEqual(try Arguments.parse(["devices", "--help"], specs: specs, global: ["help"]).flags, ["help"])
    }

    func testErrorsNameTheProblem() {
        func message(_ arguments: [String]) -> String {
            do {
                _ = try Arguments.parse(arguments, specs: specs, global: ["help"])
                return "no error"
            } catch { return error.description }
        }
        XCTAssert(message(["trian"]).contains("unknown command 'trian'"))
        XCTAssert(message(["train", "--epoch", "3"]).contains("unknown option '--epoch' for 'train'"))
        XCTAssert(message(["train", "--epoch", "3"]).contains("--epochs <value>"))
        XCTAssert(message(["train", "--epochs"]).contains("'--epochs' needs a value"))
        XCTAssert(message(["train", "--json=1"]).contains("takes no value"))
        XCTAssert(message(["--epochs", "3"]).contains("before a command"))
        XCTAssert(message(["train", "--help=yes"]).contains("'--help' takes no value"))
        let parsed = try? Arguments.parse(["train", "--epochs", "x"], specs: specs, global: [])
        XCTAssertThrowsError(try parsed?.integer("epochs", default: 1, range: 1...10)) { error in
            XCTAssert("\(error)".contains("--epochs must be an integer"))
        }
    }
}
