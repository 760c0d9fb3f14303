import Foundation

/// Reads JPEG and PNG files into ``DecodedImage``s, the format told by the file's first bytes (not its
/// name). JPEGs are decoded by libjpeg-turbo with their EXIF orientation applied; PNGs of every colour
/// type and bit depth by libpng, alpha dropped and 16-bit samples rounded to 8 bits. Gray becomes RGB
/// by repeating it; RGB becomes gray with PIL's `convert("L")` weights (0.299, 0.587, 0.114).
///
/// An instance keeps a JPEG decompressor between calls and is not thread-safe: give each thread its
/// own. The static methods make a temporary one.
public final class ImageDecoder {
    /// The image formats this decoder reads.
    public enum Format: String, Sendable {
        case jpeg = "JPEG", png = "PNG"

        /// The format whose signature `bytes` start with, or nil.
        public init?(signature bytes: [UInt8]) {
            if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
                self = .jpeg
            } else if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
                self = .png
            } else {
                return nil
            }
        }
    }

    /// The most pixels an image may have: PIL's decompression-bomb limit (twice its `MAX_IMAGE_PIXELS`,
    /// where `Image.open` raises), so a header claiming more is refused before anything is allocated.
    public static let maximumPixels = 178_956_970

    private lazy var jpeg = JPEGDecoder()

    public init() {}

    /// The image in `bytes`, the contents of the file at `path` (which errors name), with `channels`
    /// (1 or 3) channels.
    public func decode(_ bytes: [UInt8], path: String, channels: Int) throws(DataError) -> DecodedImage {
        guard channels == 1 || channels == 3 else {
            throw .invalidArgument("\(path): an image is decoded to 1 or 3 channels, not \(channels)")
        }
        guard !bytes.isEmpty else { throw .notAnImage(path: path, reason: "the file is empty") }
        switch Format(signature: bytes) {
        case .jpeg: return try jpeg.decode(bytes, path: path, channels: channels)
        case .png: return try PNGDecoder.decode(bytes, path: path, channels: channels)
        case nil:
            let shown = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw .notAnImage(path: path, reason: "it starts with \(shown), the signature of neither")
        }
    }

    /// The image in the file at `path`, with `channels` (1 or 3) channels.
    public func decode(contentsOf path: String, channels: Int) throws(DataError) -> DecodedImage {
        try decode(Self.contents(of: path), path: path, channels: channels)
    }

    /// The image in `bytes`, the contents of the file at `path`, with `channels` channels.
    public static func decode(_ bytes: [UInt8], path: String, channels: Int) throws(DataError) -> DecodedImage {
        try ImageDecoder().decode(bytes, path: path, channels: channels)
    }

    /// The image in the file at `path`, with `channels` channels.
    public static func decode(contentsOf path: String, channels: Int) throws(DataError) -> DecodedImage {
        try ImageDecoder().decode(contentsOf: path, channels: channels)
    }

    /// Throws unless a `width` × `height` image is within ``maximumPixels``.
    static func checkSize(width: Int, height: Int, format: Format, path: String) throws(DataError) {
        guard width * height <= maximumPixels else {
            throw .corruptImage(path: path, reason: "a \(format.rawValue) of \(width) × \(height) pixels is more than the "
                                + "\(maximumPixels) allowed (a decompression bomb, or a corrupt header)")
        }
    }

    /// The bytes of the file at `path`.
    static func contents(of path: String) throws(DataError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missingFile(path: path) }
        guard !isDirectory.boolValue else { throw .notAnImage(path: path, reason: "it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .corruptImage(path: path, reason: "the file cannot be read (permissions?)")
        }
        return [UInt8](data)
    }
}
