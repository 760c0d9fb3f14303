import Foundation

/// Resizing and centre cropping as torchvision does them on PIL images: PIL's bilinear resampling
/// (`Image.resize(size, Image.BILINEAR)`), which antialiases when it shrinks.
extension Transforms {
    /// PIL's fixed-point precision for 8-bit resampling (`PRECISION_BITS` in `Resample.c`).
    private static let precisionBits = 22

    /// Resizes one CHW image to `size` with PIL's bilinear filter: separable, the horizontal pass
    /// first and the vertical pass second, each rounding to `UInt8`. Along an axis that shrinks by a
    /// factor `s > 1` the triangle filter's support widens to `s` input pixels (antialiasing); an axis
    /// whose size does not change is copied.
    public static func resize(_ image: [UInt8], channels: Int, height: Int, width: Int,
                              to size: (height: Int, width: Int)) -> [UInt8] {
        precondition(image.count == channels * height * width, "image is not \(channels)×\(height)×\(width)")
        precondition(size.height > 0 && size.width > 0, "resize to an empty image")
        var current = image
        var currentWidth = width
        if size.width != width {
            // [C, H, W] → [C, H, W']: the C·H rows of length W.
            current = resampleColumns(current, lines: channels * height, inSize: width, outSize: size.width)
            currentWidth = size.width
        }
        if size.height != height {
            current = resampleRows(current, planes: channels, height: height, width: currentWidth, outHeight: size.height)
        }
        return current
    }

    /// torchvision's `Resize(shortSide)` output size: the shorter side becomes `shortSide`, the longer
    /// one `int(shortSide · long / short)` (rounded down), so the aspect ratio is kept.
    public static func resizedSize(height: Int, width: Int, shortSide: Int) -> (height: Int, width: Int) {
        if width <= height {
            return (height: Int(Double(shortSide) * Double(height) / Double(width)), width: shortSide)
        }
        return (height: shortSide, width: Int(Double(shortSide) * Double(width) / Double(height)))
    }

    /// torchvision's `CenterCrop(size)`: the window whose top-left corner is at
    /// `round((height − size.height) / 2)`, `round((width − size.width) / 2)` (Python's rounding, half
    /// to even); parts of the window outside a smaller image are zero.
    public static func centerCrop(_ image: [UInt8], channels: Int, height: Int, width: Int,
                                  size: (height: Int, width: Int)) -> [UInt8] {
        if size.height == height && size.width == width { return image }
        let top = Int((Double(height - size.height) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(width - size.width) / 2).rounded(.toNearestOrEven))
        return crop(image, channels: channels, height: height, width: width, size: size, padding: 0, top: top, left: left)
    }

    /// PIL's bilinear coefficients for one axis (`precompute_coeffs` then `normalize_coeffs_8bpc`):
    /// output position `i` sums `counts[i]` inputs from `starts[i]`, weighted by the fixed-point
    /// `weights[i · taps ..< i · taps + counts[i]]`.
    struct BilinearFilter {
        // Int32, as PIL: a sum is at most 255 · 2²² + 2²¹ (the weights are non-negative and sum to 2²²), and
        // 32-bit lanes let the compiler vectorize twice as wide as 64-bit ones.
        var starts: [Int], counts: [Int], weights: [Int32], taps: Int

        init(inSize: Int, outSize: Int) {
            let scale = Double(inSize) / Double(outSize)
            let filterScale = max(scale, 1)
            let support = 1.0 * filterScale
            let inverse = 1 / filterScale
            let unit = Double(1 << precisionBits)
            taps = Int(support.rounded(.up)) * 2 + 1
            starts = [Int](repeating: 0, count: outSize)
            counts = starts
            weights = [Int32](repeating: 0, count: outSize * taps)
            var raw = [Double](repeating: 0, count: taps)
            for position in 0..<outSize {
                let center = (Double(position) + 0.5) * scale
                let first = max(Int(center - support + 0.5), 0)
                let count = max(0, min(Int(center + support + 0.5), inSize) - first)
                var total = 0.0
                for k in 0..<count {
                    let distance = abs((Double(first + k) - center + 0.5) * inverse)
                    raw[k] = distance < 1 ? 1 - distance : 0
                    total += raw[k]
                }
                for k in 0..<count {
                    let normalized = total != 0 ? raw[k] / total : raw[k]
                    weights[position * taps + k] = Int32(normalized < 0 ? -0.5 + normalized * unit : 0.5 + normalized * unit)
                }
                starts[position] = first
                counts[position] = count
            }
        }
    }

    /// The horizontal pass: resamples `lines` rows of `inSize` pixels to `outSize` pixels each, with
    /// PIL's rounding and clipping.
    private static func resampleColumns(_ input: [UInt8], lines: Int, inSize: Int, outSize: Int) -> [UInt8] {
        let filter = BilinearFilter(inSize: inSize, outSize: outSize)
        let half: Int32 = 1 << (precisionBits - 1)
        return [UInt8](unsafeUninitializedCapacity: lines * outSize) { target, initialized in
            input.withUnsafeBufferPointer { source in
                filter.weights.withUnsafeBufferPointer { weights in
                    for line in 0..<lines {
                        let row = source.baseAddress! + line * inSize
                        for position in 0..<outSize {
                            var sum = half
                            let pixels = row + filter.starts[position], kernel = weights.baseAddress! + position * filter.taps
                            for k in 0..<filter.counts[position] { sum &+= Int32(pixels[k]) &* kernel[k] }
                            target[line * outSize + position] = UInt8(clamping: sum >> precisionBits)
                        }
                    }
                }
            }
            initialized = lines * outSize
        }
    }

    /// The vertical pass on [planes, height, width]: each output row is a weighted sum of whole input
    /// rows (row by row, as PIL does, so the inner loop runs along memory), rounded and clipped as PIL.
    private static func resampleRows(_ input: [UInt8], planes: Int, height: Int, width: Int, outHeight: Int) -> [UInt8] {
        let filter = BilinearFilter(inSize: height, outSize: outHeight)
        var sums = [Int32](repeating: 0, count: width)
        let half: Int32 = 1 << (precisionBits - 1)
        return [UInt8](unsafeUninitializedCapacity: planes * outHeight * width) { target, initialized in
            input.withUnsafeBufferPointer { source in
                sums.withUnsafeMutableBufferPointer { sums in
                    for plane in 0..<planes {
                        for row in 0..<outHeight {
                            sums.update(repeating: half)
                            for k in 0..<filter.counts[row] {
                                let pixels = source.baseAddress! + (plane * height + filter.starts[row] + k) * width
                                let weight = filter.weights[row * filter.taps + k]
                                for x in 0..<width { sums[x] &+= Int32(pixels[x]) &* weight }
                            }
                            let base = (plane * outHeight + row) * width
                            for x in 0..<width { target[base + x] = UInt8(clamping: sums[x] >> precisionBits) }
                        }
                    }
                }
            }
            initialized = planes * outHeight * width
        }
    }
}
