import Foundation
import RetortCompute

/// `retort devices`: every Vulkan device with its summary line, and which one Retort would use.
enum DevicesCommand: RegisteredCommand {
    static let name = "devices"
    static let order = 10
    static let summary = "list Vulkan devices, one summary line each, and mark the one Retort uses"
    static let usage = "--json      machine-readable output"
    static let spec = Arguments.Spec(flags: ["json"])

    static func run(_ arguments: Arguments, launch: Launch) throws {
        let environment = ProcessInfo.processInfo.environment
        let options = Device.Options.fromEnvironment(environment)
        let devices = try Device.available(validation: options.validation)
        let chosen: DeviceInfo?
        var selectionError: Error?
        do {
            chosen = try DeviceInfo.choose(from: devices, selector: options.selector)
        } catch {
            chosen = nil
            selectionError = error
        }
        if arguments.flags.contains("json") {
            let list: [[String: Any]] = devices.map { device in
                [
                    "index": device.index, "name": device.name, "kind": device.kind.rawValue,
                    "driver": device.driverName, "driverInfo": device.driverInfo, "apiVersion": device.apiVersion,
                    "subgroupSize": device.subgroupSize, "maxSharedMemory": device.maxSharedMemory,
                    "maxStorageBufferRange": device.maxStorageBufferRange, "heaps": device.heaps.map(\.size),
                    "chosen": device.index == chosen?.index, "usable": device.unusableReason == nil,
                    "summary": device.summary,
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: ["devices": list], options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let how = options.selector.map { "RETORT_DEVICE=\"\($0)\"" } ?? "automatic choice"
            print("Vulkan devices (\(how); * marks the one Retort uses):")
            for device in devices {
                print("\(device.index == chosen?.index ? "*" : " ") [\(device.index)] \(device.summary)")
            }
        }
        if let selectionError { throw selectionError }
    }
}
