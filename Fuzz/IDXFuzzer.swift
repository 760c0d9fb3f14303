import Foundation

/// libFuzzer target of the IDX reader (MNIST's format), raw and gzip: the input's first byte picks
/// how the rest reaches the reader (bit 0: gzip-compressed first; bit 1: read as labels of 10
/// classes instead of 256), the rest is the file. Every input must give a result that matches its
/// header or a `DataError` naming the file, and must not crash, hang or allocate what the file
/// cannot hold.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDXReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let mode = data[0]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let compressed = mode & 1 == 1
    let name = compressed ? "fuzz-idx.gz" : "fuzz-idx"
    let stored = Data(compressed ? FuzzGzip.compress(body) : body)
    let classes = mode & 2 == 0 ? 256 : 10
    expectDataError(file: name) {
        var file = try FileBytes(stored, name: name)
        let images = try IDXReader.readImages(&file)
        precondition(images.pixels.count == images.count * images.rows * images.columns, "pixels do not match the header")
    }
    expectDataError(file: name) {
        var file = try FileBytes(stored, name: name)
        let labels = try IDXReader.readLabels(&file, classes: classes)
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "a label outside 0..<\(classes)")
    }
    return 0
}
