import Foundation
import RetortCompute

/// `retort devices`: every Vulkan device with its summary line, and which one Retort would use;
/// `--verbose` adds each device's kernel choice (family → variant → reason), subgroup size control and
/// whether it has the 16-bit storage mixed precision needs.
enum DevicesCommand: RegisteredCommand {
    static let name = "devices"
    static let order = 10
    static let summary = "list Vulkan devices, one summary line each, and mark the one Retort uses"
    static let usage = """
        --verbose   after each device, the variant every kernel family runs there and why (RETORT_KERNELS forces them)
        --json      machine-readable output (with each device's kernels)
        """
    static let spec = Arguments.Spec(flags: ["json", "verbose"])

    static func run(_ arguments: Arguments, launch: Launch) throws {
        let environment = ProcessInfo.processInfo.environment
        let options = Device.Options.fromEnvironment(environment)
        try options.validate()
        let convolution = try Conv2dLauncher.Algorithm.forced(by: environment)
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
                let choice = KernelChoice(device: device, forced: options.kernels)
                return [
                    "index": device.index, "name": device.name, "kind": device.kind.rawValue,
                    "driver": device.driverName, "driverInfo": device.driverInfo, "apiVersion": device.apiVersion,
                    "subgroupSize": device.subgroupSize, "maxSharedMemory": device.maxSharedMemory,
                    "maxStorageBufferRange": device.maxStorageBufferRange, "heaps": device.heaps.map(\.size),
                    "chosen": device.index == chosen?.index, "usable": device.unusableReason == nil,
                    "summary": device.summary,
                    "kernelProfile": choice.profile.rawValue, "kernelProfileReason": choice.profileReason,
                    "kernels": choice.families.map { ["family": $0.name, "variant": $0.variant, "reason": $0.reason] },
                    "subgroupSizeControl": subgroupSizeControlJSON(device.subgroupSizeControl),
                    "convolutionAlgorithm": convolution?.rawValue ?? "auto", "storage16Bit": device.has16BitStorage,
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: ["devices": list], options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let how = options.selector.map { "RETORT_DEVICE=\"\($0)\"" } ?? "automatic choice"
            print("Vulkan devices (\(how); * marks the one Retort uses):")
            for device in devices {
                print("\(device.index == chosen?.index ? "*" : " ") [\(device.index)] \(device.summary)")
                if arguments.flags.contains("verbose") { print(kernelTable(device, forced: options.kernels, convolution: convolution)) }
            }
        }
        if let selectionError { throw selectionError }
    }

    /// The lines `--verbose` prints under a device: its profile, subgroup size control, and each family's
    /// variant with the reason on the line below (and the convolution algorithm `RETORT_CONV` forces).
    static func kernelTable(_ device: DeviceInfo, forced: KernelProfile?, convolution: Conv2dLauncher.Algorithm?) -> String {
        let choice = KernelChoice(device: device, forced: forced)
        let control = device.subgroupSizeControl.map { "\($0.description) (enabled)" } ?? "not available"
        let storage = device.has16BitStorage ? "yes: --precision fp16 and bf16 run their 16-bit kernels"
            : "no: --precision fp16 and bf16 are refused (fp32 only)"
        var lines = ["    kernels: \(choice.profile.rawValue) profile, because \(choice.profileReason)",
                     "    subgroup size control: \(control)", "    16-bit storage buffers: \(storage)"]
        let width = choice.families.map(\.name.count).max() ?? 0
        for family in choice.families {
            let name = family.name.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("      \(name)  \(family.variant)")
            lines.append("      \(String(repeating: " ", count: width))  why: \(family.reason)")
        }
        if let convolution {
            let effect = convolution == .winograd ? "every pass of every convolution Winograd computes runs it"
                : "every convolution runs the direct kernels"
            lines.append("      \(Conv2dLauncher.Algorithm.environmentKey)=\(convolution.rawValue): \(effect)")
        }
        return lines.joined(separator: "\n")
    }

    private static func subgroupSizeControlJSON(_ control: SubgroupSizeControl?) -> Any {
        guard let control else { return NSNull() }
        return ["minSize": control.minSize, "maxSize": control.maxSize,
                "maxComputeWorkgroupSubgroups": control.maxComputeWorkgroupSubgroups,
                "requiredSizeInCompute": control.requiresSizeInCompute, "fullSubgroupsInCompute": control.requiresFullSubgroups]
    }
}
