import Foundation
import XCTest
import RetortNN
import RetortCompute

/// One validated device for the tests of this target.
enum NNTestDevice {
    static let shared: Result<Device, Error> = Result {
        var options = Device.Options.fromEnvironment()
        options.validation = true
        return try Device(options: options)
    }
}

/// Base class for tests that run modules on the device: a fresh context per test; any validation
/// message fails the test.
class ContextTestCase: XCTestCase {
    var context: Context!

    override func setUpWithError() throws {
        let device = try NNTestDevice.shared.get()
        _ = device.drainValidationMessages()
        context = try Context(device: device)
    }

    override func tearDown() {
        if let context {
            try? context.synchronize()
            let messages = context.device.drainValidationMessages()
            XCTAssert(messages.isEmpty, "validation messages:\n\(messages.joined(separator: "\n"))")
        }
        context = nil
        super.tearDown()
    }
}
