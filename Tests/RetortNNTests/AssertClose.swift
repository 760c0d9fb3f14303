import XCTest

/// Relative closeness for learning rates (PyTorch's recursive and closed forms differ in the last bits).
func assertClose(_ actual: Double, _ expected: Double, relative: Double = 1e-12, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    let scale = max(abs(expected), 1e-300)
    XCTAssert(abs(actual - expected) <= relative * scale,
              "\(actual) is not \(expected) \(message)", file: file, line: line)
}
