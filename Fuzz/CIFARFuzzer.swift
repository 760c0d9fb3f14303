import Foundation

/// libFuzzer target of the CIFAR reader: the input's first byte picks how the rest reaches the
/// reader (bit 0: gzip-compressed first; bits 1–2: CIFAR-10, CIFAR-100 fine or coarse labels), the
/// rest is the file. Every input must give whole records with labels in range, or a `DataError`
/// naming the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFARReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let mode = data[0]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let compressed = mode & 1 == 1
    let name = compressed ? "fuzz-batch.bin.gz" : "fuzz-batch.bin"
    let stored = Data(compressed ? FuzzGzip.compress(body) : body)
    // CIFAR-10; CIFAR-100 fine labels; CIFAR-100 coarse labels.
    let (labelBytes, labelOffset, classes) = [(1, 0, 10), (2, 1, 100), (2, 0, 20)][Int(mode >> 1) % 3]
    expectDataError(file: name) {
        var file = try FileBytes(stored, name: name)
        var pixels: [UInt8] = [], labels: [Int] = []
        try CIFARReader.read(&file, labelBytes: labelBytes, labelOffset: labelOffset, classes: classes, into: &pixels, labels: &labels)
        precondition(pixels.count == labels.count * CIFARReader.imageBytes, "pixels are not whole images")
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "a label outside 0..<\(classes)")
    }
    return 0
}
