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
        var out = image
        for row in 0..<(channels * height) {
            let base = row * width
            for x in 0..<width { out[base + x] = image[base + width - 1 - x] }
        }
        return out
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
    public static func normalize<Pixels: Collection<UInt8>>(_ image: Pixels, channels: Int, normalization: Normalization,
                                                           into output: UnsafeMutablePointer<Float>) {
        precondition(normalization.mean.count == channels, "normalization has \(normalization.mean.count) channels, image \(channels)")
        let plane = image.count / channels
        var index = 0
        var c = 0, inPlane = 0
        var mean = normalization.mean[0], std = normalization.std[0]
        for pixel in image {
            output[index] = (Float(pixel) / 255 - mean) / std
            index += 1
            inPlane += 1
            if inPlane == plane, c + 1 < channels {
                inPlane = 0
                c += 1
                (mean, std) = (normalization.mean[c], normalization.std[c])
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
