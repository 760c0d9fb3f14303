/// One decoded image: 8-bit pixels, planar [channels, height, width] — the layout of ``Dataset/images``.
public struct DecodedImage: Equatable, Sendable {
    // Read-only outside RetortData: the initializer's checks (1 or 3 channels, a value per pixel) then hold for
    // every instance, which the encoders rely on.
    /// Columns.
    public internal(set) var width: Int
    /// Rows.
    public internal(set) var height: Int
    /// 1 (gray) or 3 (red, green, blue).
    public internal(set) var channels: Int
    /// Pixels, [channels, height, width]: channel `c`, row `y`, column `x` at `(c * height + y) * width + x`.
    public internal(set) var pixels: [UInt8]

    /// An image of the given size; `pixels` must hold `channels × height × width` values, planar.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "an image has at least one pixel")
        precondition(channels == 1 || channels == 3, "an image has 1 or 3 channels")
        precondition(pixels.count == channels * height * width, "pixels must hold channels × height × width values")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The pixel value at channel `c`, row `y`, column `x`.
    public subscript(c: Int, y: Int, x: Int) -> UInt8 { pixels[(c * height + y) * width + x] }

    /// The same picture with `count` channels: gray → RGB repeats the gray value; RGB → gray weighs
    /// red, green and blue by 0.299, 0.587 and 0.114 in PIL's 16-bit fixed point (19595, 38470, 7471
    /// / 65536) and rounds, so it equals PIL's `convert("L")` for every colour.
    public func converted(toChannels count: Int) -> DecodedImage {
        precondition(count == 1 || count == 3, "an image has 1 or 3 channels")
        if count == channels { return self }
        let plane = width * height
        if count == 3 { return DecodedImage(width: width, height: height, channels: 3, pixels: pixels + pixels + pixels) }
        var gray = [UInt8](repeating: 0, count: plane)
        pixels.withUnsafeBufferPointer { rgb in
            for i in 0..<plane {
                let weighted = 19595 * Int(rgb[i]) + 38470 * Int(rgb[plane + i]) + 7471 * Int(rgb[2 * plane + i])
                gray[i] = UInt8((weighted + 0x8000) >> 16)
            }
        }
        return DecodedImage(width: width, height: height, channels: 1, pixels: gray)
    }

    /// Planar pixels from interleaved ones (`[height, width, stride]`, the first `channels` of each
    /// `stride` samples kept, the rest — alpha — dropped).
    static func planar(interleaved: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int,
                       stride: Int) -> [UInt8] {
        let plane = width * height
        if channels == 1 && stride == 1 { return Array(interleaved[0..<plane]) }
        return [UInt8](unsafeUninitializedCapacity: channels * plane) { out, initialized in
            for c in 0..<channels {
                let base = c * plane
                var source = c
                for i in 0..<plane {
                    out[base + i] = interleaved[source]
                    source += stride
                }
            }
            initialized = channels * plane
        }
    }
}
