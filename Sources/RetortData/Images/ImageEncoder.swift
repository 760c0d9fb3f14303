import CTurboJPEG
import CZlib

/// Writes PNG and JPEG files: PNGs of every colour type and bit depth (palette with transparency and
/// 16-bit included) for tests and generated datasets, and JPEGs by libjpeg-turbo at a quality, with an
/// EXIF orientation tag when asked.
public enum ImageEncoder {
    /// A PNG colour type. Samples per pixel: gray 1, gray+alpha 2, RGB 3, RGBA 4, palette 1 (an index).
    public enum PNGColor: Equatable, Sendable {
        case gray, grayAlpha, rgb, rgba
        /// Indices into `colors` (red, green, blue triples, at most 2^bitDepth of them); `alphas`, when not
        /// empty, is the `tRNS` chunk: the opacity of the first `alphas.count` entries.
        case palette(colors: [UInt8], alphas: [UInt8])

        var samplesPerPixel: Int {
            switch self {
            case .gray, .palette: return 1
            case .grayAlpha: return 2
            case .rgb: return 3
            case .rgba: return 4
            }
        }

        /// The colour-type byte of the `IHDR` chunk and the bit depths PNG allows with it.
        var header: (type: UInt8, depths: [Int]) {
            switch self {
            case .gray: return (0, [1, 2, 4, 8, 16])
            case .rgb: return (2, [8, 16])
            case .palette: return (3, [1, 2, 4, 8])
            case .grayAlpha: return (4, [8, 16])
            case .rgba: return (6, [8, 16])
            }
        }
    }

    /// A PNG file: `samples` row by row, pixel by pixel, `color.samplesPerPixel` values a pixel, each
    /// below 2^`bitDepth`.
    public static func png(width: Int, height: Int, color: PNGColor, bitDepth: Int, samples: [UInt16]) throws(DataError) -> [UInt8] {
        let (type, depths) = color.header
        guard width > 0, height > 0, depths.contains(bitDepth) else {
            throw .invalidArgument("a \(width) × \(height) PNG of colour type \(type) cannot have bit depth \(bitDepth) "
                                   + "(allowed: \(depths.map(String.init).joined(separator: ", ")))")
        }
        let perRow = width * color.samplesPerPixel
        guard samples.count == perRow * height, samples.allSatisfy({ Int($0) < 1 << bitDepth }) else {
            throw .invalidArgument("a PNG needs \(perRow * height) samples below \(1 << bitDepth), got \(samples.count)")
        }
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (1 + (perRow * bitDepth + 7) / 8))
        for y in 0..<height {
            raw.append(0)                                                          // filter: none
            raw += packed(samples[(y * perRow)..<((y + 1) * perRow)], bitDepth: bitDepth)
        }
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += chunk("IHDR", bigEndian32(width) + bigEndian32(height) + [UInt8(bitDepth), type, 0, 0, 0])
        if case .palette(let colors, let alphas) = color {
            guard colors.count % 3 == 0, (1...(1 << bitDepth)).contains(colors.count / 3), alphas.count <= colors.count / 3,
                  samples.allSatisfy({ Int($0) < colors.count / 3 }) else {
                throw .invalidArgument("a PNG palette needs 1 to \(1 << bitDepth) colours, as many alphas at most, "
                                       + "and every index below the number of colours")
            }
            file += chunk("PLTE", colors)
            if !alphas.isEmpty { file += chunk("tRNS", alphas) }
        }
        file += chunk("IDAT", deflated(raw))
        file += chunk("IEND", [])
        return file
    }

    /// An 8-bit gray or RGB PNG of `image`.
    public static func png(_ image: DecodedImage) -> [UInt8] {
        let samples = interleaved(image).map(UInt16.init)
        // Cannot throw: 8 bits, gray or RGB, and a `DecodedImage` always holds channels × height × width values.
        return try! png(width: image.width, height: image.height, color: image.channels == 1 ? .gray : .rgb,
                        bitDepth: 8, samples: samples)
    }

    /// A JPEG file of `image` at `quality` (1–100; chroma subsampled 4:2:0), carrying `orientation` in an
    /// APP1 Exif segment unless it is `.up` (a viewer turns the stored pixels by it).
    public static func jpeg(_ image: DecodedImage, quality: Int, orientation: ExifOrientation = .up) throws(DataError) -> [UInt8] {
        guard (1...100).contains(quality) else { throw .invalidArgument("JPEG quality \(quality) is outside 1...100") }
        guard let handle = tjInitCompress() else { fatalError("TurboJPEG could not allocate a compressor") }
        defer { tjDestroy(handle) }
        let pixels = interleaved(image)
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let format = image.channels == 1 ? TJPF_GRAY : TJPF_RGB
        let subsampling = image.channels == 1 ? TJSAMP_GRAY : TJSAMP_420
        let status = tjCompress2(handle, pixels, Int32(image.width), 0, Int32(image.height), Int32(format.rawValue),
                                 &buffer, &size, Int32(subsampling.rawValue), Int32(quality), TJFLAG_ACCURATEDCT)
        defer { tjFree(buffer) }
        guard status == 0, let buffer else {
            throw .invalidArgument("TurboJPEG could not compress a \(image.width) × \(image.height) image: "
                                   + String(cString: tjGetErrorStr2(handle)))
        }
        let file = Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
        return orientation == .up ? file : tagged(file, orientation: orientation)
    }

    /// `jpeg` with an APP1 Exif segment (big-endian TIFF, IFD0 holding the orientation alone) after its
    /// JFIF APP0 segment (or right after SOI when there is none).
    static func tagged(_ jpeg: [UInt8], orientation: ExifOrientation) -> [UInt8] {
        let tiff: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8,                  // "MM", 42, IFD0 at 8
                             0, 1,                                           // one entry
                             0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, UInt8(orientation.rawValue), 0, 0,
                             0, 0, 0, 0]                                     // no next IFD
        let body: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0] + tiff
        let segment: [UInt8] = [0xFF, 0xE1, UInt8((body.count + 2) >> 8), UInt8((body.count + 2) & 0xFF)] + body
        var at = 2
        if jpeg.count > 6, jpeg[2] == 0xFF, jpeg[3] == 0xE0 { at = 4 + (Int(jpeg[4]) << 8 | Int(jpeg[5])) }
        return Array(jpeg[..<at]) + segment + Array(jpeg[at...])
    }

    /// Planar pixels as PNG and TurboJPEG want them: [height, width, channels].
    private static func interleaved(_ image: DecodedImage) -> [UInt8] {
        let plane = image.width * image.height
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        for c in 0..<image.channels {
            for i in 0..<plane { out[i * image.channels + c] = image.pixels[c * plane + i] }
        }
        return out
    }

    /// One row's samples at `bitDepth` bits: big-endian pairs at 16, packed from the high bit below 8.
    private static func packed(_ row: ArraySlice<UInt16>, bitDepth: Int) -> [UInt8] {
        switch bitDepth {
        case 16: return row.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        case 8: return row.map { UInt8($0) }
        default:
            var bytes = [UInt8](repeating: 0, count: (row.count * bitDepth + 7) / 8)
            for (k, sample) in row.enumerated() {
                let bit = k * bitDepth
                bytes[bit / 8] |= UInt8(sample) << (8 - bitDepth - bit % 8)
            }
            return bytes
        }
    }

    /// A PNG chunk: length, type, data, CRC-32 of type and data.
    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        return bigEndian32(data.count) + body + bigEndian32(Int(crc))
    }

    /// `bytes` as one zlib stream.
    private static func deflated(_ bytes: [UInt8]) -> [UInt8] {
        var size = compressBound(UInt(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let status = out.withUnsafeMutableBufferPointer { target in
            bytes.withUnsafeBufferPointer { compress2(target.baseAddress, &size, $0.baseAddress, UInt($0.count), 6) }
        }
        precondition(status == Z_OK, "zlib compress2 failed (\(status)) with a buffer of compressBound bytes")
        return Array(out[..<Int(size)])
    }

    private static func bigEndian32(_ value: Int) -> [UInt8] {
        [UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
