import Foundation

/// libFuzzer target of the JSON settings reader: the input is a settings file, read as
/// `--config FILE` and `--resume DIR` read one (`RunFolder.settings(from:source:)`), then resolved
/// by every command that takes a settings file. Reading must give an object or a `CLIError` naming
/// the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let name = "config.json"
    let file: [String: Any]
    do {
        file = try RunFolder.settings(from: Data(bytes: data, count: size), source: name)
    } catch {
        precondition(error.description.contains(name), "the error does not name the file: \(error)")
        return 0
    }
    for command in FuzzSettings.commands {
        FuzzSettings.resolve(command, file: file, flags: [:], switches: [])
    }
    return 0
}
