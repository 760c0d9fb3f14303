import Foundation
import XCTest

/// Runs the built `retort` binary the way a user does and checks output and exit status.
final class CommandLineTests: XCTestCase {
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> RetortProcess.Run {
        try RetortProcess.run(arguments, environment: extra)
    }

    func testHelpAndVersion() throws {
        let help = try run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssert(help.output.contains("usage: retort"))
        XCTAssert(help.output.contains("devices"))
        XCTAssert(help.output.contains("RETORT_DEVICE"))
        let version = try run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssert(version.output.hasPrefix("retort 0."), version.output)
    }

    func testDevicesListsAndMarksTheChosenDevice() throws {
        let result = try run(["devices"])
        XCTAssertEqual(result.status, 0, result.errors)
        let chosen = result.output.split(separator: "\n").filter { $0.hasPrefix("* [") }
        XCTAssertEqual(chosen.count, 1, result.output)
        XCTAssert(chosen[0].contains("subgroup"), result.output)

        let json = try run(["devices", "--json"])
        XCTAssertEqual(json.status, 0, json.errors)
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        let devices = try XCTUnwrap(object?["devices"] as? [[String: Any]])
        XCTAssertEqual(devices.filter { $0["chosen"] as? Bool == true }.count, 1)
    }

    func testBadDeviceSelectorFailsWithAMessage() throws {
        let result = try run(["devices"], environment: ["RETORT_DEVICE": "no-such-gpu"])
        XCTAssertEqual(result.status, 1)
        XCTAssert(result.errors.contains("RETORT_DEVICE=\"no-such-gpu\" matches no usable device"), result.errors)
    }

    func testMissingDriverIsAClearError() throws {
        let result = try run(["devices"], environment: ["VK_ICD_FILENAMES": "/nonexistent/icd.json", "VK_DRIVER_FILES": "/nonexistent/icd.json"])
        XCTAssertEqual(result.status, 1)
        XCTAssert(result.errors.contains("No Vulkan device found"), result.errors)
        XCTAssert(result.errors.contains("mesa-vulkan-drivers"), result.errors)
    }

    func testUsageErrorsExitWithTwo() throws {
        let unknown = try run(["frobnicate"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssert(unknown.errors.contains("unknown command 'frobnicate'"), unknown.errors)
        let option = try run(["devices", "--bogus"])
        XCTAssertEqual(option.status, 2)
        XCTAssert(option.errors.contains("'--bogus'"), option.errors)
        XCTAssertEqual(try run([]).status, 2)
    }
}
