import RetortRandom

/// Training-time augmentation, applied in PyTorch's order: `RandomResizedCrop` (file-backed datasets
/// only: it makes the sample out of the decoded image), `RandomCrop(size, padding)` with zero padding,
/// then `RandomHorizontalFlip(p = 0.5)`.
public struct Augmentation: Equatable, Sendable {
    /// For a file-backed dataset, the random box each sample is resized from (instead of the
    /// evaluation's resize and centre crop); in-memory datasets ignore it.
    public var randomResizedCrop: RandomResizedCrop?
    /// Zero padding on each side before cropping back to the image size; 0 turns cropping off.
    public var cropPadding: Int
    /// Mirror left-right with probability 0.5.
    public var horizontalFlip: Bool

    public init(cropPadding: Int = 0, horizontalFlip: Bool = false, randomResizedCrop: RandomResizedCrop? = nil) {
        precondition(cropPadding >= 0, "crop padding must not be negative")
        self.randomResizedCrop = randomResizedCrop
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }

    /// No augmentation.
    public static let none = Augmentation()

    /// Applies the augmentation to one CHW image, drawing from `generator`.
    public func apply(_ image: [UInt8], channels: Int, height: Int, width: Int,
                      using generator: inout SplitMix64) -> [UInt8] {
        var result = image
        if cropPadding > 0 {
            result = Transforms.randomCrop(result, channels: channels, height: height, width: width,
                                           size: (height, width), padding: cropPadding, using: &generator)
        }
        if horizontalFlip && Transforms.coinFlip(using: &generator) {
            result = Transforms.horizontalFlip(result, channels: channels, height: height, width: width)
        }
        return result
    }
}

/// Image transforms on CHW byte images (one image at a time) and normalization to `Float`.
public enum Transforms {
    /// `RandomCrop(size, padding)`: pads every side with `padding` zeros and takes a `size` window at
    /// a uniformly drawn offset (`0...height + 2·padding − size.height`, likewise for columns).
    public static func randomCrop(_ image: [UInt8], channels: Int, height: Int, width: Int,
                                  size: (height: Int, width: Int), padding: Int,
                                  using generator: inout SplitMix64) -> [UInt8] {
        let rows = height + 2 * padding - size.height + 1
        let columns = width + 2 * padding - size.width + 1
        precondition(rows > 0 && columns > 0, "crop \(size) larger than the padded \(height)×\(width) image")
        let top = uniform(rows, using: &generator)
        let left = uniform(columns, using: &generator)
        return crop(image, channels: channels, height: height, width: width, size: size, padding: padding,
                    top: top, left: left)
    }

    /// The `size` window whose top-left corner is at (`top`, `left`) in the image padded by `padding`
    /// zeros on every side: output (y, x) is input (y + top − padding, x + left − padding), or 0
    /// outside the image.
    public static func crop(_ image: [UInt8], channels: Int, height: Int, width: Int,
                            size: (height: Int, width: Int), padding: Int, top: Int, left: Int) -> [UInt8] {
        precondition(image.count == channels * height * width, "image is not \(channels)×\(height)×\(width)")
        var out = [UInt8](repeating: 0, count: channels * size.height * size.width)
        let dy = top - padding, dx = left - padding
        let x0 = max(0, -dx), x1 = min(size.width, width - dx)
        guard x0 < x1 else { return out }
        for c in 0..<channels {
            for y in 0..<size.height {
                let sy = y + dy
                guard sy >= 0 && sy < height else { continue }
                let src = (c * height + sy) * width + dx
                let dst = (c * size.height + y) * size.width
                for x in x0..<x1 { out[dst + x] = image[src + x] }
            }
        }
        return out
    }

    /// Mirrors every row: output (c, y, x) = input (c, y, width − 1 − x).
    public static func horizontalFlip(_ image: [UInt8], channels: Int, height: Int, width: Int) -> [UInt8] {
        precondition(image.count == channels * height * width, "image is not \(channels)×\(height)×\(width)")
        return [UInt8](unsafeUninitializedCapacity: image.count) { out, initialized in
            image.withUnsafeBufferPointer { image in
                for row in 0..<(channels * height) {
                    let source = image.baseAddress! + row * width, target = out.baseAddress! + row * width
                    for x in 0..<width { target[x] = source[width - 1 - x] }
                }
            }
            initialized = image.count
        }
    }

    /// Writes `(pixel / 255 − mean[c]) / std[c]` for one CHW image into `output` from `offset`.
    public static func normalize<Pixels: Collection<UInt8>>(_ image: Pixels, channels: Int,
                                                           normalization: Normalization,
                                                           into output: inout [Float], at offset: Int) {
        precondition(offset + image.count <= output.count, "the image does not fit in the output")
        output.withUnsafeMutableBufferPointer {
            normalize(image, channels: channels, normalization: normalization, into: $0.baseAddress! + offset)
        }
    }

    /// Writes `(pixel / 255 − mean[c]) / std[c]` for one CHW image to `output` (room for every pixel).
    /// The expression is evaluated once for each of the 256 byte values of a channel and looked up per
    /// pixel: the same bits as evaluating it per pixel, at a fraction of the cost.
    public static func normalize<Pixels: Collection<UInt8>>(_ image: Pixels, channels: Int, normalization: Normalization,
                                                           into output: UnsafeMutablePointer<Float>) {
        precondition(normalization.mean.count == channels, "normalization has \(normalization.mean.count) channels, image \(channels)")
        let plane = image.count / channels
        var table = [Float](repeating: 0, count: 256 * channels)
        for c in 0..<channels {
            let (mean, std) = (normalization.mean[c], normalization.std[c])
            for value in 0..<256 { table[c * 256 + value] = (Float(value) / 255 - mean) / std }
        }
        table.withUnsafeBufferPointer { table in
            // The last channel also takes any pixels past channels · plane.
            let lookup = { (index: Int, pixel: UInt8) in
                output[index] = table[min(index / max(plane, 1), channels - 1) * 256 + Int(pixel)]
            }
            let contiguous: Void? = image.withContiguousStorageIfAvailable { pixels in
                for c in 0..<channels {
                    let values = table.baseAddress! + c * 256
                    let end = c == channels - 1 ? pixels.count : (c + 1) * plane
                    for index in (c * plane)..<end { output[index] = values[Int(pixels[index])] }
                }
            }
            if contiguous == nil {
                for (index, pixel) in image.enumerated() { lookup(index, pixel) }
            }
        }
    }

    /// True with probability 1/2 (the top bit of the next draw).
    static func coinFlip(using generator: inout SplitMix64) -> Bool {
        generator.next() >> 63 == 1
    }

    /// A draw from `0..<bound` (modulo bias is below 2⁻⁵⁰ for image-sized bounds).
    static func uniform(_ bound: Int, using generator: inout SplitMix64) -> Int {
        Int(generator.next() % UInt64(bound))
    }
}
