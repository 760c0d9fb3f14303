/// The EXIF orientation tag (0x0112) of a JPEG: how the stored pixels must be turned to show the
/// picture upright. Values 1–8 as the EXIF standard numbers them; `apply(to:)` turns an image the way
/// PIL's `ImageOps.exif_transpose` does.
public enum ExifOrientation: Int, CaseIterable, Sendable {
    /// Stored upright.
    case up = 1
    /// Mirrored left to right.
    case upMirrored = 2
    /// Turned half a turn.
    case down = 3
    /// Mirrored top to bottom.
    case downMirrored = 4
    /// Mirrored along the main diagonal (transposed).
    case leftMirrored = 5
    /// Shown after a quarter turn clockwise.
    case right = 6
    /// Mirrored along the anti-diagonal (transversed).
    case rightMirrored = 7
    /// Shown after a quarter turn counter-clockwise.
    case left = 8

    /// Whether showing the image swaps its width and height.
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The image as it should be shown: the stored pixel at (row `y`, column `x`) moves where this
    /// orientation says.
    public func apply(to image: DecodedImage) -> DecodedImage {
        if self == .up { return image }
        let (w, h) = (image.width, image.height)
        let (outW, outH) = swapsAxes ? (h, w) : (w, h)
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for c in 0..<image.channels {
                    let base = c * w * h
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            let (sy, sx) = sourcePosition(row: oy, column: ox, width: w, height: h)
                            target[base + oy * outW + ox] = source[base + sy * w + sx]
                        }
                    }
                }
            }
        }
        return DecodedImage(width: outW, height: outH, channels: image.channels, pixels: out)
    }

    /// Where the shown pixel (row, column) comes from in a stored image of `width` × `height`.
    private func sourcePosition(row: Int, column: Int, width w: Int, height h: Int) -> (Int, Int) {
        switch self {
        case .up: return (row, column)
        case .upMirrored: return (row, w - 1 - column)
        case .down: return (h - 1 - row, w - 1 - column)
        case .downMirrored: return (h - 1 - row, column)
        case .leftMirrored: return (column, row)
        case .right: return (h - 1 - column, row)
        case .rightMirrored: return (h - 1 - column, w - 1 - row)
        case .left: return (column, w - 1 - row)
        }
    }

    /// The orientation a JPEG's APP1 Exif segment records, or nil when there is none (or it is
    /// unreadable: a broken tag is ignored, as viewers do). Reads the markers before the first scan only.
    public init?(jpeg bytes: [UInt8]) {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var i = 2
        while i + 4 <= bytes.count, bytes[i] == 0xFF {
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue }                       // fill byte
            if marker == 0xDA || marker == 0xD9 { return nil }           // start of scan, end of image
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { return nil }
            let body = (i + 4)..<(i + 2 + length)
            if marker == 0xE1, let value = Self.orientationTag(in: bytes[body]) {
                self.init(rawValue: value)
                return
            }
            i += 2 + length
        }
        return nil
    }

    /// Tag 0x0112 of IFD0 in an APP1 body (`Exif\0\0` then a TIFF header).
    private static func orientationTag(in body: ArraySlice<UInt8>) -> Int? {
        let exif: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]
        guard body.count >= 14, Array(body.prefix(6)) == exif else { return nil }
        let tiff = Array(body.dropFirst(6))
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func read(_ offset: Int, _ size: Int) -> Int? {
            guard offset >= 0, offset + size <= tiff.count else { return nil }
            var value = 0
            for k in 0..<size { value |= Int(tiff[offset + k]) << (8 * (little ? k : size - 1 - k)) }
            return value
        }
        guard read(2, 2) == 42, let ifd = read(4, 4), let count = read(ifd, 2) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + 12 * entry
            guard let tag = read(at, 2) else { return nil }
            guard tag == 0x0112 else { continue }
            guard read(at + 2, 2) == 3, let value = read(at + 8, 2) else { return nil }     // type SHORT
            return value
        }
        return nil
    }
}
