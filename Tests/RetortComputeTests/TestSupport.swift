import Foundation
import XCTest
import Retort
@testable import RetortCompute

/// One validated device shared by every test in the process (device creation and first-use JIT are
/// the expensive parts on lavapipe).
enum TestDevice {
    static let shared: Result<Device, Error> = Result {
        var options = Device.Options.fromEnvironment()
        options.validation = true
        let device = try Device(options: options)
        FileHandle.standardError.write(Data("test device: \(device.info.summary)\n".utf8))
        return device
    }
}

/// Base class for tests that run on the device: any validation message fails the test.
class DeviceTestCase: XCTestCase {
    var device: Device!

    override func setUpWithError() throws {
        device = try TestDevice.shared.get()
        _ = device.drainValidationMessages()
    }

    override func tearDown() {
        if let device {
            let messages = device.drainValidationMessages()
            XCTAssert(messages.isEmpty, "validation messages:\n\(messages.joined(separator: "\n"))")
        }
        device = nil
        super.tearDown()
    }
}

/// Deterministic test data.
typealias TestRandom = SplitMix64

/// Largest |x − y| / max(1, |y|): the relative error used against Double references. A NaN or
/// infinity where the reference has none (or the other way round) is an infinite error: `max` would
/// otherwise skip NaN and let a kernel that writes NaN pass.
func maxRelativeError(_ x: [Float], _ y: [Double]) -> Double {
    precondition(x.count == y.count, "compared arrays differ in length: \(x.count) vs \(y.count)")
    var worst = 0.0
    for (value, expected) in zip(x, y) {
        let actual = Double(value)
        if actual.isNaN || expected.isNaN || actual.isInfinite || expected.isInfinite {
            let same = (actual.isNaN && expected.isNaN) || actual == expected
            if !same { return .infinity }
            continue
        }
        worst = max(worst, abs(actual - expected) / max(1, abs(expected)))
    }
    return worst
}
