import Foundation

/// libFuzzer target of the IDX reader (MNIST's format), raw and gzip: the input is a ``FuzzedFile``
/// (mode bit 1: read labels of 10 classes instead of 256). Every input must give a result that
/// matches its header or a `DataError` naming the file, and must not crash, hang or allocate what
/// the file cannot hold.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDXReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let input = FuzzedFile(data, size, name: "fuzz-idx") else { return 0 }
    let classes = input.mode & 2 == 0 ? 256 : 10
    expectDataError(file: input.name) {
        var file = try FileBytes(input.bytes, name: input.name)
        let images = try IDXReader.readImages(&file)
        precondition(images.pixels.count == images.count * images.rows * images.columns, "pixels do not match the header")
    }
    expectDataError(file: input.name) {
        var file = try FileBytes(input.bytes, name: input.name)
        let labels = try IDXReader.readLabels(&file, classes: classes)
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "a label outside 0..<\(classes)")
    }
    return 0
}
