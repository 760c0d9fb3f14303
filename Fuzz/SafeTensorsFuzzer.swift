import Foundation

/// libFuzzer target of the safetensors reader: the input is the file. Every input must parse or
/// throw a `SafeTensorsError` naming the file; a file that parses must convert to floats and
/// survive a write and a second read unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensorsReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let name = "fuzz.safetensors"
    let checkpoint: SafeTensors
    do {
        checkpoint = try SafeTensors(data: Data(bytes: data, count: size), source: name)
    } catch {
        precondition(error.description.contains(name), "the error does not name the file: \(error)")
        return 0
    }
    for tensor in checkpoint.tensors.values {
        precondition(tensor.floats().count == tensor.elementCount, "floats() does not give one value per element")
    }
    do {
        let reread = try SafeTensors(data: checkpoint.serialized(), source: name)
        precondition(reread == checkpoint, "a file that was read does not survive a write and a second read")
    } catch {
        preconditionFailure("a file that was read cannot be written and read back: \(error)")
    }
    return 0
}
