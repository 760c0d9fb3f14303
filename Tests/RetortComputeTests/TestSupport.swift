import Foundation
import XCTest
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
struct TestRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }
}

/// Largest |x − y| / max(1, |y|): the relative error used against Double references.
func maxRelativeError(_ x: [Float], _ y: [Double]) -> Double {
    precondition(x.count == y.count, "compared arrays differ in length: \(x.count) vs \(y.count)")
    return zip(x, y).reduce(0) { max($0, abs(Double($1.0) - $1.1) / max(1, abs($1.1))) }
}
