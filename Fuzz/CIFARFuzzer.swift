import Foundation

/// libFuzzer target of the CIFAR reader: the input is a ``FuzzedFile`` (mode bits 1–2: CIFAR-10,
/// CIFAR-100 fine or coarse labels). Every input must give whole records with labels in range, or
/// a `DataError` naming the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFARReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let input = FuzzedFile(data, size, name: "fuzz-batch.bin") else { return 0 }
    // CIFAR-10; CIFAR-100 fine labels; CIFAR-100 coarse labels.
    let (labelBytes, labelOffset, classes) = [(1, 0, 10), (2, 1, 100), (2, 0, 20)][Int(input.mode >> 1) % 3]
    expectDataError(file: input.name) {
        var file = try FileBytes(input.bytes, name: input.name)
        var pixels: [UInt8] = [], labels: [Int] = []
        try CIFARReader.read(&file, labelBytes: labelBytes, labelOffset: labelOffset, classes: classes, into: &pixels, labels: &labels)
        precondition(pixels.count == labels.count * CIFARReader.imageBytes, "pixels are not whole images")
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "a label outside 0..<\(classes)")
    }
    return 0
}
