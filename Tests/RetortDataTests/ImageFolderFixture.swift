import Foundation
@testable import RetortData

extension TestFiles {
    /// Writes an image file at `relative` (folders created): a PNG, or a JPEG at quality 95 when the
    /// name ends in `.jpg`/`.jpeg` (any case). Returns its path.
    @discardableResult
    func writeImage(_ relative: String, _ image: DecodedImage) throws -> String {
        let lower = relative.lowercased()
        let isJPEG = lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")
        let bytes = isJPEG ? try ImageEncoder.jpeg(image, quality: 95) : ImageEncoder.png(image)
        return try writeNested(relative, bytes)
    }

    /// Writes `bytes` at `relative`, creating its folders.
    @discardableResult
    func writeNested(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// A Tiny-ImageNet-layout folder: `wnids.txt` (unsorted), `words.txt`, `perClass` training JPEGs
    /// per class and 2 validation JPEGs per class listed in `val/val_annotations.txt` in reverse order.
    /// Image `k` of class `c` is a flat colour whose red is `(10·c + k) % 100` (training) or
    /// `100 + 40·c + 20·k` for the first three classes' validation images.
    func writeTinyImageNet(wnids: [String], perClass: Int, size: Int = 8) throws {
        try writeNested("wnids.txt", Array(wnids.reversed().joined(separator: "\n").utf8))
        try writeNested("words.txt", Array((wnids.map { "\($0)\tthing \($0)" } + ["n99999999\tunused"]).joined(separator: "\n").utf8))
        var annotations: [String] = []
        for (c, wnid) in wnids.enumerated() {
            for k in 0..<perClass {
                try writeImage("train/\(wnid)/images/\(wnid)_\(k).JPEG", flat(red: (10 * c + k) % 100, size: size))
            }
            for k in 0..<2 {
                let name = "val_\(c * 2 + k).JPEG"
                try writeImage("val/images/\(name)", flat(red: 100 + 40 * (c % 3) + 20 * k, size: size))
                annotations.append("\(name)\t\(wnid)\t0\t0\t\(size)\t\(size)")
            }
        }
        try writeNested("val/val_annotations.txt", Array(annotations.reversed().joined(separator: "\n").utf8))
    }

    /// A `size`×`size` RGB image of one colour (red `red`, green 50, blue 200).
    func flat(red: Int, size: Int) -> DecodedImage {
        let plane = size * size
        return DecodedImage(width: size, height: size, channels: 3,
                            pixels: [UInt8](repeating: UInt8(red), count: plane) + [UInt8](repeating: 50, count: plane)
                                + [UInt8](repeating: 200, count: plane))
    }

    /// A 2-class ImageFolder of 8×8 images: class `a` RGB PNGs and a gray PNG, class `b` RGB JPEGs.
    func writeMixedFolder() throws {
        for k in 0..<3 { try writeImage("train/a/\(k).png", flat(red: 40 * k, size: 8)) }
        try writeImage("train/a/gray.png", DecodedImage(width: 8, height: 8, channels: 1, pixels: Array(repeating: 90, count: 64)))
        for k in 0..<3 { try writeImage("train/b/\(k).jpg", flat(red: 200, size: 8)) }
        for k in 0..<2 { try writeImage("val/a/\(k).png", flat(red: 7, size: 8)) }
        try writeImage("val/b/0.jpeg", flat(red: 200, size: 8))
    }
}

extension Normalization {
    /// Mean 0 and std 1 on three channels: batches hold pixel / 255.
    static let identity3 = Normalization(mean: [0, 0, 0], std: [1, 1, 1])
}
