import Foundation
import XCTest

/// The harness every CLI test runs the binary through.
final class RetortProcessTests: XCTestCase {
    /// A child that fills its error pipe before it closes its output (a long error report, a
    /// sanitizer's) must not hang the test that runs it.
    func testOutputAndErrorsLongerThanAPipeBufferAreBothRead() throws {
        let script = "head -c 300000 /dev/zero | tr '\\0' e >&2; head -c 200000 /dev/zero | tr '\\0' o; exit 3"
        let run = try RetortProcess.run(["-c", script], executable: URL(fileURLWithPath: "/bin/sh"))
        XCTAssertEqual(run.status, 3)
        XCTAssertEqual(run.errors.count, 300_000)
        XCTAssertEqual(run.output.count, 200_000)
        XCTAssert(run.errors.allSatisfy { $0 == "e" } && run.output.allSatisfy { $0 == "o" })
    }
}
