import Foundation
import XCTest
@testable import retort

/// A settings file (`--config FILE`, a run folder's `config.json`) is one JSON object; anything
/// else is refused with a message that names the file and says what it should hold.
final class RunFolderSettingsTests: XCTestCase {
    private func failure(_ text: String) -> String? {
        do {
            _ = try RunFolder.settings(from: Data(text.utf8), source: "runs/x/config.json")
            return nil
        } catch {
            guard case .failed(let message) = error else { return "not a failure: \(error)" }
            return message
        }
    }

    func testReadsAnObjectOfSettings() throws {
        let settings = try RunFolder.settings(from: Data(#"{"epochs": 3, "model": "plane2"}"#.utf8), source: "config.json")
        XCTAssertEqual(settings["epochs"] as? Int, 3)
        XCTAssertEqual(settings["model"] as? String, "plane2")
    }

    func testInvalidJSONNamesTheFile() throws {
        let message = try XCTUnwrap(failure(#"{"epochs": 3"#))
        XCTAssertTrue(message.hasPrefix("runs/x/config.json is not valid JSON (Unexpected end of file"), message)
        XCTAssertTrue(message.contains(#"one object such as {"epochs": 3}"#), message)
        XCTAssertNotNil(failure(""))
    }

    func testAnythingButAnObjectIsRefused() {
        for text in ["[1, 2]", "3", #""epochs""#, "null"] {
            XCTAssertEqual(failure(text), "runs/x/config.json is not a JSON object of settings; "
                           + #"a settings file is one object such as {"epochs": 3}"#, text)
        }
    }

    func testUnreadableFileNamesThePath() {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("retort-no-such-\(UUID().uuidString).json")
        XCTAssertThrowsError(try RunFolder.readSettings(missing)) { error in
            guard case CLIError.failed(let message)? = error as? CLIError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix("cannot read \(missing.path): "), message)
        }
    }
}
