import Foundation
import XCTest

extension XCTestCase {
    /// A fresh run folder path under the temporary directory (the trainer creates it), removed at
    /// the end of the test.
    func runDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("retort-run-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
