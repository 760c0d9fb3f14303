import CPNG

/// Decodes PNG files with libpng's simplified `png_image` API: every colour type and bit depth, to
/// RGB or gray, samples as stored (colour-space chunks are ignored, as PIL does). Alpha (and `tRNS`
/// transparency) is read and then dropped — discarded, not composited — as PIL's `convert("RGB")`
/// does; 16-bit samples become 8-bit ones rounded to nearest, `(v · 255 + 32895) >> 16`, libpng's
/// scaling (PIL truncates to the high byte: at most one level apart; it clips 16-bit gray at 255).
enum PNGDecoder {
    /// The image in `bytes` (a PNG file read from `path`) with `channels` channels.
    static func decode(_ bytes: [UInt8], path: String, channels: Int) throws(DataError) -> DecodedImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let stripped = withoutColorSpaceChunks(bytes)
        let begun = stripped.withUnsafeBufferPointer { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw .corruptImage(path: path, reason: "corrupt PNG (\(message(of: image)))") }
        let (w, h) = (Int(image.width), Int(image.height))
        do {
            try ImageDecoder.checkSize(width: w, height: h, format: .png, path: path)
        } catch {
            png_image_free(&image)
            throw error
        }
        // Ask for the file's own layout at 8 bits (no colour conversion by libpng), with alpha where the
        // file has any, so libpng never composites; its 16-bit samples are taken as sRGB, not linear,
        // so scaling them to 8 bits applies no gamma curve.
        let color = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let alpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        image.format = (color ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0) | (alpha ? UInt32(PNG_FORMAT_FLAG_ALPHA) : 0)
        image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        let stride = (color ? 3 : 1) + (alpha ? 1 : 0)
        var interleaved = [UInt8](repeating: 0, count: w * h * stride)
        let finished = interleaved.withUnsafeMutableBytes {
            png_image_finish_read(&image, nil, $0.baseAddress, Int32(w * stride), nil)
        }
        guard finished != 0 else { throw .corruptImage(path: path, reason: "corrupt PNG (\(message(of: image)))") }
        let native = interleaved.withUnsafeBufferPointer {
            DecodedImage(width: w, height: h, channels: color ? 3 : 1,
                         pixels: DecodedImage.planar(interleaved: $0, width: w, height: h, channels: color ? 3 : 1, stride: stride))
        }
        return native.converted(toChannels: channels)
    }

    /// The chunks that would make libpng convert samples between colour spaces (gamma, chromaticities,
    /// sRGB intent, ICC profile); PIL reads samples as stored, so they are left out.
    private static let colorSpaceChunks: Set<[UInt8]> = Set(["gAMA", "cHRM", "sRGB", "iCCP"].map { Array($0.utf8) })

    /// `bytes` without its colour-space chunks (the same array when it has none). They come before the
    /// first `IDAT`, so the walk stops there; a malformed chunk list is left for libpng to report.
    static func withoutColorSpaceChunks(_ bytes: [UInt8]) -> [UInt8] {
        var dropped: [Range<Int>] = []
        var at = 8
        while at + 12 <= bytes.count {
            let length = bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = Array(bytes[(at + 4)..<(at + 8)])
            guard length <= bytes.count - at - 12, type != Array("IDAT".utf8) else { break }
            if colorSpaceChunks.contains(type) { dropped.append(at..<(at + 12 + length)) }
            at += 12 + length
        }
        guard !dropped.isEmpty else { return bytes }
        var kept = bytes
        for range in dropped.reversed() { kept.removeSubrange(range) }
        return kept
    }

    /// libpng's message for the last failure of `image`.
    private static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
