/// libFuzzer target of the image decoder (JPEG by libjpeg-turbo, PNG by libpng, EXIF orientation): the
/// input is a mode byte (bit 0: decode to 1 channel, else 3) and a file's bytes. Every input must give
/// an image of the channels asked whose pixels fill its width and height, or a `DataError` naming the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let channels = data[0] & 1 == 1 ? 1 : 3
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    expectDataError(file: "fuzz-image") {
        let image = try ImageDecoder.decode(bytes, path: "fuzz-image", channels: channels)
        precondition(image.channels == channels, "\(image.channels) channels, \(channels) asked")
        precondition(image.width > 0 && image.height > 0 && image.pixels.count == channels * image.width * image.height,
                     "\(image.pixels.count) pixels for \(channels) × \(image.height) × \(image.width)")
    }
    return 0
}
