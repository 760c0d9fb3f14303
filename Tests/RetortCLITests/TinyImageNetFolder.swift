import Foundation
import RetortData

/// Writes a Tiny-ImageNet-layout folder of generated JPEGs: `wnids.txt` (in the given order),
/// `words.txt`, `train/<wnid>/images/<wnid>_<k>.JPEG` and `val/images/val_<c>_<k>.JPEG` with
/// `val/val_annotations.txt`. The image of class `c` (in sorted wnid order) is mostly one colour
/// plane bright, which plane and how bright depending on `c`, with seeded noise: learnable.
enum TinyImageNetFolder {
    static func write(to root: URL, wnids: [String], train: Int, validation: Int, size: Int) throws {
        try write(Array(wnids.joined(separator: "\n").utf8), "wnids.txt", in: root)
        try write(Array(wnids.map { "\($0)\tthing \($0.suffix(1))" }.joined(separator: "\n").utf8), "words.txt", in: root)
        var annotations: [String] = []
        var state: UInt64 = 7
        let plane = size * size
        for (c, wnid) in wnids.sorted().enumerated() {
            for k in 0..<(train + validation) {
                let pixels = (0..<(3 * plane)).map { index -> UInt8 in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let base = index / plane == c % 3 ? 200 : 40
                    return UInt8(min(255, base + Int(state >> 60) + (c / 3 % 4) * 15))
                }
                let jpeg = try ImageEncoder.jpeg(DecodedImage(width: size, height: size, channels: 3, pixels: pixels), quality: 90)
                if k < train {
                    try write(jpeg, "train/\(wnid)/images/\(wnid)_\(k).JPEG", in: root)
                } else {
                    try write(jpeg, "val/images/val_\(c)_\(k).JPEG", in: root)
                    annotations.append("val_\(c)_\(k).JPEG\t\(wnid)\t0\t0\t\(size - 1)\t\(size - 1)")
                }
            }
        }
        try write(Array(annotations.reversed().joined(separator: "\n").utf8), "val/val_annotations.txt", in: root)
    }

    static func write(_ bytes: [UInt8], _ relative: String, in root: URL) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
}
