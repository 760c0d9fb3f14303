import Foundation

/// The little-endian bytes of an integer, spelled out independently of the code under test.
func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}

func littleEndian(_ values: [Float]) -> [UInt8] { values.flatMap { littleEndian($0.bitPattern) } }
func littleEndian(_ values: [Int64]) -> [UInt8] { values.flatMap { littleEndian($0) } }

/// A safetensors file built byte by byte: the size prefix (by default the header's true length),
/// the header text, then `data`.
func safetensorsFile(header: String, data: [UInt8] = [], declaredSize: UInt64? = nil) -> Data {
    let headerBytes = Array(header.utf8)
    var file = Data(littleEndian(declaredSize ?? UInt64(headerBytes.count)))
    file.append(contentsOf: headerBytes)
    file.append(contentsOf: data)
    return file
}
