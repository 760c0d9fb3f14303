import Foundation
import RetortRandom

/// torchvision's `RandomResizedCrop(size, scale, ratio)`: a random box of the image, resized to the
/// output size with PIL's bilinear filter (``Transforms/resize(_:channels:height:width:to:)``).
///
/// The box follows `RandomResizedCrop.get_params`: up to 10 attempts, each drawing an area fraction
/// uniformly in `scale` and an aspect ratio log-uniformly in `ratio`, with width `round(√(area·ratio))`
/// and height `round(√(area / ratio))` (Python's rounding, half to even); the first box that fits is
/// placed at a uniformly drawn top and left. When none fits, the fallback is a centred crop of the
/// whole image with its aspect ratio clamped to `ratio`.
public struct RandomResizedCrop: Equatable, Sendable {
    /// The range of the box's area as a fraction of the image's.
    public var scale: ClosedRange<Double>
    /// The range of the box's width / height.
    public var ratio: ClosedRange<Double>

    /// torchvision's defaults: `scale = (0.08, 1)`, `ratio = (3/4, 4/3)`.
    public init(scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3)) {
        precondition(scale.lowerBound > 0 && ratio.lowerBound > 0, "scale and ratio must be positive")
        self.scale = scale
        self.ratio = ratio
    }

    /// A crop box in image coordinates.
    public struct Box: Equatable, Sendable {
        public var top: Int, left: Int, height: Int, width: Int

        public init(top: Int, left: Int, height: Int, width: Int) {
            (self.top, self.left, self.height, self.width) = (top, left, height, width)
        }
    }

    /// The box for a `height`×`width` image from the draws `unit()` (uniform in [0, 1)) and
    /// `below(n)` (uniform in `0..<n`), in torchvision's order: per attempt the area fraction, the
    /// log-ratio, and when the box fits its top and then its left.
    public func box(height: Int, width: Int, unit: () -> Double, below: (Int) -> Int) -> Box {
        let area = Double(height * width)
        let logRatio = (Foundation.log(ratio.lowerBound), Foundation.log(ratio.upperBound))
        for _ in 0..<10 {
            let targetArea = area * (scale.lowerBound + unit() * (scale.upperBound - scale.lowerBound))
            let aspect = Foundation.exp(logRatio.0 + unit() * (logRatio.1 - logRatio.0))
            let w = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= width && h > 0 && h <= height {
                let top = below(height - h + 1)
                let left = below(width - w + 1)
                return Box(top: top, left: left, height: h, width: w)
            }
        }
        let inRatio = Double(width) / Double(height)
        var w = width, h = height
        if inRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return Box(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
    }

    /// The box drawn from `generator`: `unit()` is the top 53 bits of a draw over 2⁵³.
    public func box(height: Int, width: Int, using generator: inout SplitMix64) -> Box {
        box(height: height, width: width, unit: { Double(generator.next() >> 11) * 0x1p-53 },
            below: { Transforms.uniform($0, using: &generator) })
    }

    /// Crops `box` out of one CHW image and resizes it to `size` (bilinear, as PIL).
    public static func apply(_ box: Box, to image: [UInt8], channels: Int, height: Int, width: Int,
                             size: (height: Int, width: Int)) -> [UInt8] {
        let cropped = Transforms.crop(image, channels: channels, height: height, width: width,
                                      size: (box.height, box.width), padding: 0, top: box.top, left: box.left)
        return Transforms.resize(cropped, channels: channels, height: box.height, width: box.width, to: size)
    }
}
