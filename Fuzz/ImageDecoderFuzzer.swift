/// libFuzzer target of the image decoder (JPEG by libjpeg-turbo, PNG by libpng, EXIF orientation): the
/// input is a mode byte (bit 0: decode to 1 channel, else 3) and a file's bytes. Every input must give
/// an image of the channels asked whose pixels fill its width and height, or a `DataError` naming the
/// file; either way the same decoder must then read a good JPEG and a good PNG (a loader thread keeps
/// one decoder for many files).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let channels = data[0] & 1 == 1 ? 1 : 3
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let decoder = ImageDecoder()
    expectDataError(file: "fuzz-image") {
        let image = try decoder.decode(bytes, path: "fuzz-image", channels: channels)
        precondition(image.channels == channels, "\(image.channels) channels, \(channels) asked")
        precondition(image.width > 0 && image.height > 0 && image.pixels.count == channels * image.width * image.height,
                     "\(image.pixels.count) pixels for \(channels) × \(image.height) × \(image.width)")
    }
    for (name, file) in ImageDecoderFuzzer.goodFiles {
        precondition((try? decoder.decode(file, path: name, channels: 3)) == ImageDecoderFuzzer.expected[name],
                     "after that input the decoder no longer reads \(name) as before")
    }
    return 0
}

enum ImageDecoderFuzzer {
    private static let picture = DecodedImage(width: 9, height: 7, channels: 3, pixels: (0..<189).map { UInt8($0 * 7 % 256) })
    /// A valid JPEG and PNG, and what a fresh decoder reads from them.
    static let goodFiles = [("good.jpg", try! ImageEncoder.jpeg(picture, quality: 80)), ("good.png", ImageEncoder.png(picture))]
    static let expected = Dictionary(uniqueKeysWithValues: goodFiles.map { name, file in
        (name, try! ImageDecoder.decode(file, path: name, channels: 3))
    })
}
