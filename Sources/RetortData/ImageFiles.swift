import Foundation
import RetortRandom

/// What a file-backed dataset does with an image it cannot read (`--bad-images skip|fail`).
///
/// Listing reads the first 8 bytes of every file and refuses those that are neither a JPEG nor a PNG
/// (empty files, other formats, other bytes): `fail` stops there, naming the path; `skip` leaves them
/// out and counts them. A file that passes that check but fails to decode later (truncated, corrupt)
/// is met while loading: `fail` fills its sample with NaN in training, which stops it before that step
/// (the trainer's finite-input check), and with zeros in evaluation, which finishes; either way the
/// failure is recorded (``ImageFiles/failures``) and the command then names the path and the reason; `skip` uses the
/// next decodable file in dataset order (its pixels and its label) in its place, so batch shapes and
/// the draws of every other sample stay as they were and the same files give the same batches.
public enum BadImagePolicy: String, CaseIterable, Sendable {
    /// Stop with the file's path and what is wrong with it.
    case fail
    /// Leave the image out and count it.
    case skip
}

/// The files that failed to decode while loading, shared by every copy of a dataset (and safe to
/// record into from the loader's worker threads).
public final class DecodeFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var paths: [String] = []
    private var errors: [String: DataError] = [:]

    public init() {}

    /// Records that `path` failed with `error` (once per path).
    func record(_ path: String, _ error: DataError) {
        lock.lock()
        defer { lock.unlock() }
        guard errors[path] == nil else { return }
        paths.append(path)
        errors[path] = error
    }

    /// Every failure so far, in the order they were first met.
    public var all: [(path: String, error: DataError)] {
        lock.lock()
        defer { lock.unlock() }
        return paths.map { ($0, errors[$0]!) }
    }

    /// The first failure met, or nil.
    public var first: DataError? { all.first?.error }
}

/// The samples of a file-backed dataset: one image file per sample, decoded when the loader needs
/// it and turned into a sample of the dataset's size — in training by the augmentation's
/// ``RandomResizedCrop`` when it has one, otherwise (and in evaluation) by torchvision's
/// `Resize(resizeShortSide)` + `CenterCrop(height, width)`.
public struct ImageFiles: Sendable {
    /// One file per sample, in dataset order.
    public var paths: [String]
    /// The shorter side every image is resized to before the centre crop.
    public var resizeShortSide: Int
    /// What to do with a file that cannot be decoded.
    public var badImages: BadImagePolicy
    /// Files left out when listing (under ``BadImagePolicy/skip``), with the reason.
    public var skipped: [DataError]
    /// Files that failed to decode while loading.
    public let failures: DecodeFailures

    public init(paths: [String], resizeShortSide: Int, badImages: BadImagePolicy = .fail, skipped: [DataError] = []) {
        precondition(resizeShortSide > 0, "resize to a positive size")
        self.paths = paths
        self.resizeShortSide = resizeShortSide
        self.badImages = badImages
        self.skipped = skipped
        self.failures = DecodeFailures()
    }

    /// Decodes the file of sample `index` with `channels` channels; on failure records it and, under
    /// ``BadImagePolicy/skip``, tries the following samples in turn (wrapping around). Returns the
    /// image and the sample it came from, or nil (under `fail`, or when no file decodes). A decoder that
    /// failed is replaced by a fresh one: one that failed mid-file may fail the next file too.
    func decoded(at index: Int, channels: Int, decoder: inout ImageDecoder) -> (image: DecodedImage, index: Int)? {
        var candidate = index
        for _ in 0..<paths.count {
            do {
                return (try decoder.decode(contentsOf: paths[candidate], channels: channels), candidate)
            } catch {
                failures.record(paths[candidate], error)
                decoder = ImageDecoder()
                guard badImages == .skip else { return nil }
                candidate = (candidate + 1) % paths.count
            }
        }
        return nil
    }

    /// A decoded image as a `size` sample: `crop`'s random box resized (drawing from `generator`), or
    /// without `crop` the shorter side resized to ``resizeShortSide`` and the centre `size` window.
    func sample(_ image: DecodedImage, size: (height: Int, width: Int), crop: RandomResizedCrop?,
                using generator: inout SplitMix64) -> [UInt8] {
        if let crop {
            let box = crop.box(height: image.height, width: image.width, using: &generator)
            return RandomResizedCrop.apply(box, to: image.pixels, channels: image.channels, height: image.height,
                                           width: image.width, size: size)
        }
        let resized = Transforms.resizedSize(height: image.height, width: image.width, shortSide: resizeShortSide)
        let pixels = Transforms.resize(image.pixels, channels: image.channels, height: image.height, width: image.width,
                                       to: resized)
        return Transforms.centerCrop(pixels, channels: image.channels, height: resized.height, width: resized.width, size: size)
    }

    /// The first `count` files.
    func prefix(_ count: Int) -> ImageFiles {
        var copy = self
        copy.paths = Array(paths.prefix(count))
        return copy
    }
}
