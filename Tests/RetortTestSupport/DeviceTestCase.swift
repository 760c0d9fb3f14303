import XCTest
import RetortCompute

/// Base class for tests that run kernels on the device: any validation message fails the test.
open class DeviceTestCase: XCTestCase {
    public var device: Device!

    open override func setUpWithError() throws {
        device = try TestDevice.shared.get()
        _ = device.drainValidationMessages()
    }

    open override func tearDown() {
        if let device {
            let messages = device.drainValidationMessages()
            XCTAssert(messages.isEmpty, "validation messages:\n\(messages.joined(separator: "\n"))")
        }
        device = nil
        super.tearDown()
    }

    /// Asserts that `body` throws `VulkanError.invalidArgument` with a message (containing `fragment`
    /// when given); `label` names the case.
    public func assertInvalidArgument(_ label: String, containing fragment: String? = nil, _ body: () throws -> Void,
                                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), label, file: file, line: line) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(label): \(error)", file: file, line: line) }
            XCTAssertFalse(message.isEmpty, label, file: file, line: line)
            if let fragment {
                XCTAssert(message.contains(fragment), "\(label): the message should contain '\(fragment)': \(message)", file: file, line: line)
            }
        }
    }
}
