import CTurboJPEG

/// Decodes JPEG files with libjpeg-turbo's TurboJPEG API, to RGB or gray, the EXIF orientation
/// applied. Holds one TurboJPEG handle: use one decoder per thread.
final class JPEGDecoder {
    private var handle: tjhandle

    init() { handle = Self.makeHandle() }

    deinit { tjDestroy(handle) }

    private static func makeHandle() -> tjhandle {
        guard let handle = tjInitDecompress() else { fatalError("TurboJPEG could not allocate a decompressor") }
        return handle
    }

    /// The image in `bytes` (a JPEG file read from `path`) with `channels` channels, upright. After a
    /// failure the TurboJPEG handle is replaced: libjpeg-turbo 2.1 leaves one that failed reading a
    /// header in a state that fails the next file.
    func decode(_ bytes: [UInt8], path: String, channels: Int) throws(DataError) -> DecodedImage {
        do {
            return try decodeOrFail(bytes, path: path, channels: channels)
        } catch {
            tjDestroy(handle)
            handle = Self.makeHandle()
            throw error
        }
    }

    private func decodeOrFail(_ bytes: [UInt8], path: String, channels: Int) throws(DataError) -> DecodedImage {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else { throw .corruptImage(path: path, reason: "corrupt JPEG header (\(message()))") }
        let (w, h) = (Int(width), Int(height))
        guard w > 0, h > 0 else { throw .corruptImage(path: path, reason: "corrupt JPEG header (no frame header: truncated?)") }
        try ImageDecoder.checkSize(width: w, height: h, format: .jpeg, path: path)
        let native: DecodedImage
        switch Int(colorspace) {
        case Int(TJCS_GRAY.rawValue):
            native = try decompress(bytes, path: path, width: w, height: h, format: TJPF_GRAY, stride: 1)
        case Int(TJCS_CMYK.rawValue), Int(TJCS_YCCK.rawValue):
            native = Self.rgb(fromInvertedCMYK: try decompress(bytes, path: path, width: w, height: h, format: TJPF_CMYK, stride: 4))
        default:
            native = try decompress(bytes, path: path, width: w, height: h, format: TJPF_RGB, stride: 3)
        }
        let upright = ExifOrientation(jpeg: bytes)?.apply(to: native) ?? native
        return upright.converted(toChannels: channels)
    }

    /// Decompresses to `format` (`stride` bytes a pixel); a 4-byte CMYK result keeps all four planes
    /// in a temporary image of 1 channel, 4× as wide.
    private func decompress(_ bytes: [UInt8], path: String, width: Int, height: Int, format: TJPF,
                            stride: Int) throws(DataError) -> DecodedImage {
        // TurboJPEG writes every byte (a truncated scan is filled in), so the buffer needs no zeroing.
        var status: Int32 = 0
        let interleaved = [UInt8](unsafeUninitializedCapacity: width * height * stride) { target, initialized in
            status = bytes.withUnsafeBufferPointer { source in
                tjDecompress2(handle, source.baseAddress, UInt(source.count), target.baseAddress, Int32(width),
                              Int32(width * stride), Int32(height), Int32(format.rawValue), TJFLAG_LIMITSCANS)
            }
            initialized = width * height * stride
        }
        if status != 0 {
            let text = message()
            // A warning leaves a whole image; libjpeg warns of a truncated file and fills the rest with gray,
            // which must not train a model. Other warnings (extraneous bytes, …) are tolerated, as PIL does.
            if tjGetErrorCode(handle) == TJERR_FATAL.rawValue || text.contains("Premature end") {
                let reason = text.contains("Premature end") ? "truncated JPEG (\(text))" : "corrupt JPEG (\(text))"
                throw .corruptImage(path: path, reason: reason)
            }
        }
        if stride == 4 { return DecodedImage(width: width * 4, height: height, channels: 1, pixels: interleaved) }
        return interleaved.withUnsafeBufferPointer {
            DecodedImage(width: width, height: height, channels: stride,
                         pixels: DecodedImage.planar(interleaved: $0, width: width, height: height, channels: stride, stride: stride))
        }
    }

    /// RGB from CMYK as Adobe applications store it (inverted): red = (255 − C)(255 − K)/255 of the
    /// true inks, PIL's `cmyk2rgb` on its `CMYK;I` reading, so the stored c·k/255, rounded as PIL does.
    private static func rgb(fromInvertedCMYK packed: DecodedImage) -> DecodedImage {
        let (width, height) = (packed.width / 4, packed.height)
        let plane = width * height
        var rgb = [UInt8](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            let k = Int(packed.pixels[4 * i + 3])
            for c in 0..<3 {
                let product = Int(packed.pixels[4 * i + c]) * k + 128
                rgb[c * plane + i] = UInt8((product + (product >> 8)) >> 8)
            }
        }
        return DecodedImage(width: width, height: height, channels: 3, pixels: rgb)
    }

    private func message() -> String { String(cString: tjGetErrorStr2(handle)) }
}
