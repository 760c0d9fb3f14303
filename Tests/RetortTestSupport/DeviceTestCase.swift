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
}
