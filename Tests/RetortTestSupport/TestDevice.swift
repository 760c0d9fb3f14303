import Foundation
import RetortCompute
import Retort

/// One device per test process, with the validation layer (and synchronization validation) on:
/// device creation and first-use shader compilation are the expensive parts on lavapipe.
public enum TestDevice {
    public static let shared: Result<Device, Error> = Result {
        var options = Device.Options.fromEnvironment()
        options.validation = true
        let device = try Device(options: options)
        FileHandle.standardError.write(Data("test device: \(device.info.summary)\n".utf8))
        return device
    }
}

/// Deterministic test data.
public typealias TestRandom = SplitMix64
