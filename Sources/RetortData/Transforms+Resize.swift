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
            // [C, H, W] → [C, H, W']: rows are the C·H lines of length W.
            current = resample(current, lines: channels * height, stride: 1, lineStep: width, inSize: width,
                               outSize: size.width, outLineStep: size.width, outStride: 1)
            currentWidth = size.width
        }
        if size.height != height {
            // [C, H, W'] → [C, H', W']: per channel, the W' columns of length H.
            var out = [UInt8](repeating: 0, count: channels * size.height * currentWidth)
            for c in 0..<channels {
                let plane = Array(current[(c * height * currentWidth)..<((c + 1) * height * currentWidth)])
                let resized = resample(plane, lines: currentWidth, stride: currentWidth, lineStep: 1, inSize: height,
                                       outSize: size.height, outLineStep: 1, outStride: currentWidth)
                out.replaceSubrange((c * size.height * currentWidth)..<((c + 1) * size.height * currentWidth), with: resized)
            }
            current = out
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
    /// for each output position its first input position and fixed-point weights.
    static func bilinearCoefficients(inSize: Int, outSize: Int) -> (starts: [Int], weights: [[Int32]]) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale
        let inverse = 1 / filterScale
        var starts: [Int] = [], weights: [[Int32]] = []
        starts.reserveCapacity(outSize)
        weights.reserveCapacity(outSize)
        for position in 0..<outSize {
            let center = (Double(position) + 0.5) * scale
            let first = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), inSize)
            var raw: [Double] = []
            var total = 0.0
            for x in first..<max(first, end) {
                let distance = abs((Double(x) - center + 0.5) * inverse)
                let weight = distance < 1 ? 1 - distance : 0
                raw.append(weight)
                total += weight
            }
            let unit = Double(1 << precisionBits)
            weights.append(raw.map { value in
                let normalized = total != 0 ? value / total : value
                return Int32(normalized < 0 ? -0.5 + normalized * unit : 0.5 + normalized * unit)
            })
            starts.append(first)
        }
        return (starts, weights)
    }

    /// Resamples `lines` lines of `inSize` samples each (sample `i` of line `l` at `l·lineStep + i·stride`)
    /// to `outSize` samples (at `l·outLineStep + i·outStride`), with PIL's rounding and clipping.
    private static func resample(_ input: [UInt8], lines: Int, stride: Int, lineStep: Int, inSize: Int,
                                 outSize: Int, outLineStep: Int, outStride: Int) -> [UInt8] {
        let (starts, weights) = bilinearCoefficients(inSize: inSize, outSize: outSize)
        var out = [UInt8](repeating: 0, count: lines * outSize)
        let half: Int64 = 1 << (precisionBits - 1)
        input.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for line in 0..<lines {
                    let base = line * lineStep
                    for position in 0..<outSize {
                        var sum = half
                        var index = base + starts[position] * stride
                        for weight in weights[position] {
                            sum += Int64(source[index]) * Int64(weight)
                            index += stride
                        }
                        let value = sum >> Int64(precisionBits)
                        target[line * outLineStep + position * outStride] = UInt8(clamping: value)
                    }
                }
            }
        }
        return out
    }
}
