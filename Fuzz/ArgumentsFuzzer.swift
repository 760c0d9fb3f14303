/// libFuzzer target of the command-line parser: the input is a command line, its words separated by
/// NUL bytes (as `argv` holds them), parsed with the real commands' options. A parse must keep
/// only declared options and flags; a command's options are then resolved as the command resolves
/// them. Every refusal must be a `CLIError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArgumentParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let words = UnsafeBufferPointer(start: data, count: size)
        .split(separator: 0, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    let global: Set<String> = ["help", "version"]
    let specs = ArgumentsFuzzer.specs
    let parsed: Arguments
    do {
        parsed = try Arguments.parse(words, specs: specs, global: global)
    } catch {
        precondition(!error.description.isEmpty, "an empty error message")
        return 0
    }
    guard let command = parsed.command else {
        precondition(parsed.options.isEmpty && parsed.positionals.isEmpty, "options or positionals without a command")
        return 0
    }
    guard let spec = specs[command] else { preconditionFailure("unknown command '\(command)' accepted") }
    precondition(Set(parsed.options.keys).isSubset(of: spec.options), "an undeclared option was accepted")
    precondition(parsed.flags.isSubset(of: spec.flags.union(global)), "an undeclared flag was accepted")
    FuzzSettings.resolve(command, file: nil, flags: parsed.options, switches: parsed.flags)
    return 0
}

enum ArgumentsFuzzer {
    /// The commands' specs, built once (`CLI.specs` builds them on every call).
    static let specs = CLI.specs
}
