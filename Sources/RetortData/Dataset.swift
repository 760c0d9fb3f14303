import Foundation

/// The datasets this module reads by name.
public enum DatasetKind: String, CaseIterable, Sendable {
    case fashionMNIST = "fashion-mnist"
    case mnist
    case cifar10
    case cifar100
    /// A folder of image files (``ImageFolder``: torchvision's `ImageFolder` or the Tiny-ImageNet layout).
    case folder

    /// Channels per image: 1 for the MNISTs, 3 for the CIFARs and (by default) folders.
    public var channels: Int { self == .fashionMNIST || self == .mnist ? 1 : 3 }

    /// Parses a name such as `fashion-mnist`, `mnist`, `cifar10`, `cifar100`, `folder` (case-insensitive).
    public init(name: String) throws {
        guard let kind = DatasetKind(rawValue: name.lowercased()) else { throw DataError.unknownDataset(name) }
        self = kind
    }
}

/// Which half of a dataset.
public enum Split: String, CaseIterable, Sendable {
    case train, test
}

/// Per-channel normalization: `(pixel / 255 − mean[c]) / std[c]`.
public struct Normalization: Equatable, Sendable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && !mean.isEmpty, "one mean and one std per channel")
        self.mean = mean
        self.std = std
    }

    /// Throws unless every mean is finite and every std finite and non-zero: exactly when every
    /// normalized pixel is finite. `owner` (a dataset name) starts the message.
    public func checkFinite(for owner: String) throws(DataError) {
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            throw .invalidArgument("\(owner): normalization mean \(mean), std \(std) would make NaN or infinite pixels; "
                                   + "every mean must be finite and every std finite and non-zero")
        }
    }

    /// The default for each dataset: its training-split statistics, except CIFAR-100, which uses
    /// RepDistiller's and mdistiller's constants (``NormalizationPreset/repdistiller``), where most
    /// pretrained CIFAR-100 teachers come from, and folders, which use ImageNet's
    /// (``NormalizationPreset/imagenet``), as torchvision's pretrained models do.
    public static func defaults(for kind: DatasetKind) -> Normalization {
        switch kind {
        case .cifar100: return NormalizationPreset.repdistiller.normalization(for: kind)!
        case .folder: return .imageNet
        default: return datasetStatistics(for: kind)
        }
    }

    /// ImageNet's statistics, which torchvision's models are trained with: mean (0.485, 0.456, 0.406),
    /// std (0.229, 0.224, 0.225).
    public static let imageNet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// ImageNet's statistics for `channels` channels: three as ``imageNet``, one as their averages
    /// (mean 0.449, std 0.226).
    public static func imageNet(channels: Int) -> Normalization {
        channels == 1 ? Normalization(mean: [0.449], std: [0.226]) : imageNet
    }

    /// The training split's per-channel statistics (``NormalizationPreset/dataset``). A folder's are
    /// measured from its files (``Dataset/measuredNormalization(samples:seed:)``); here it has ImageNet's.
    public static func datasetStatistics(for kind: DatasetKind) -> Normalization {
        switch kind {
        case .fashionMNIST: return Normalization(mean: [0.2860], std: [0.3530])
        case .mnist: return Normalization(mean: [0.1307], std: [0.3081])
        case .cifar10: return Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
        case .cifar100: return Normalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])
        case .folder: return .imageNet
        }
    }
}

/// An image classification dataset: its samples are held in memory as bytes (``Storage/memory(_:)``:
/// [count, channels, height, width] (NCHW) `UInt8`, so Fashion-MNIST's training split takes 60000 × 784
/// bytes) or read from image files when the loader needs them (``Storage/files(_:)``, for datasets
/// such as ImageNet that cannot sit in memory). `channels`, `height` and `width` are those of the
/// samples the loader makes.
public struct Dataset: Sendable {
    /// Where the samples' pixels come from.
    public enum Storage: Sendable {
        /// Every sample's pixels, [count, channels, height, width].
        case memory([UInt8])
        /// One image file per sample, decoded and resized on demand.
        case files(ImageFiles)
    }

    /// Where the Debian package `dataset-fashion-mnist` installs its files.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    public var name: String
    public var classes: Int
    public var channels: Int
    public var height: Int
    public var width: Int
    /// Where the samples come from.
    public var storage: Storage
    /// One label in `0..<classes` per image.
    public var labels: [Int]
    /// The normalization the dataset is usually trained with.
    public var normalization: Normalization
    /// The names of the classes in label order, where the dataset carries them (folder datasets).
    public var classNames: [String]?
    /// A longer description of each class in label order (Tiny-ImageNet's `words.txt`), when known.
    public var classDescriptions: [String]?

    /// Pixels of an in-memory dataset, [count, channels, height, width] (empty for a file-backed one);
    /// setting them makes the dataset in-memory.
    public var images: [UInt8] {
        get {
            if case .memory(let pixels) = storage { return pixels }
            return []
        }
        set { storage = .memory(newValue) }
    }

    /// The image files of a file-backed dataset, or nil.
    public var files: ImageFiles? {
        if case .files(let files) = storage { return files }
        return nil
    }

    /// Number of samples.
    public var count: Int { labels.count }
    /// Bytes (= values) of one image.
    public var imageSize: Int { channels * height * width }

    public init(name: String, classes: Int, channels: Int, height: Int, width: Int, images: [UInt8],
                labels: [Int], normalization: Normalization) throws {
        guard classes > 0, channels > 0, height > 0, width > 0 else {
            throw DataError.invalidArgument("\(name): classes, channels, height and width must be positive")
        }
        guard images.count == labels.count * channels * height * width else {
            throw DataError.invalidArgument(
                "\(name): \(images.count) pixel bytes do not make \(labels.count) images of \(channels)×\(height)×\(width)")
        }
        try self.init(name: name, classes: classes, channels: channels, height: height, width: width, storage: .memory(images),
                      labels: labels, normalization: normalization)
    }

    /// A file-backed dataset: `files.paths[i]` holds sample `i`, labelled `labels[i]`; its samples are
    /// `channels`×`height`×`width`.
    public init(name: String, classes: Int, channels: Int, height: Int, width: Int, files: ImageFiles, labels: [Int],
                normalization: Normalization, classNames: [String]? = nil) throws {
        guard files.paths.count == labels.count else {
            throw DataError.invalidArgument("\(name): \(files.paths.count) files but \(labels.count) labels")
        }
        guard channels == 1 || channels == 3 else {
            throw DataError.invalidArgument("\(name): image files decode to 1 (gray) or 3 (RGB) channels, not \(channels)")
        }
        try self.init(name: name, classes: classes, channels: channels, height: height, width: width, storage: .files(files),
                      labels: labels, normalization: normalization)
        self.classNames = classNames
    }

    private init(name: String, classes: Int, channels: Int, height: Int, width: Int, storage: Storage, labels: [Int],
                 normalization: Normalization) throws {
        guard classes > 0, channels > 0, height > 0, width > 0 else {
            throw DataError.invalidArgument("\(name): classes, channels, height and width must be positive")
        }
        guard normalization.mean.count == channels else {
            throw DataError.invalidArgument("\(name): normalization has \(normalization.mean.count) channels, images \(channels)")
        }
        try normalization.checkFinite(for: name)
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw DataError.labelOutOfRange(file: name, index: bad, label: labels[bad], classes: classes)
        }
        self.name = name
        self.classes = classes
        self.channels = channels
        self.height = height
        self.width = width
        self.storage = storage
        self.labels = labels
        self.normalization = normalization
    }

    /// The first `n` samples (all of them when `n ≥ count`).
    public func prefix(_ n: Int) -> Dataset {
        var copy = self
        let kept = max(0, min(n, count))
        copy.labels = Array(labels[0..<kept])
        switch storage {
        case .memory(let pixels): copy.storage = .memory(Array(pixels[0..<(kept * imageSize)]))
        case .files(let files): copy.storage = .files(files.prefix(kept))
        }
        return copy
    }

    /// The pixels of sample `index` of an in-memory dataset, [channels, height, width].
    public func image(at index: Int) -> ArraySlice<UInt8> {
        images[(index * imageSize)..<((index + 1) * imageSize)]
    }

    /// Loads a dataset by kind. Fashion-MNIST defaults to `fashionMNISTDirectory`; the others need
    /// `directory`. IDX files are looked up as `<split>-images-idx3-ubyte.gz` and then without `.gz`.
    /// A folder gets its layout's default sample shape (``folder(_:split:shape:limit:badImages:)``).
    /// - Parameters:
    ///   - limit: keep only the first `limit` samples.
    ///   - cifar100Labels: fine (100 classes, the default) or coarse (20 superclasses).
    public static func load(_ kind: DatasetKind, split: Split, directory: String? = nil, limit: Int? = nil,
                            cifar100Labels: CIFARReader.LabelGranularity = .fine) throws -> Dataset {
        if let limit, limit <= 0 { throw DataError.invalidArgument("limit must be positive, got \(limit)") }
        let folder: String
        if let directory {
            folder = directory
        } else if kind == .fashionMNIST {
            folder = fashionMNISTDirectory
        } else {
            throw DataError.dataDirectoryRequired(dataset: kind.rawValue)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.missingFile(path: folder)
        }
        var dataset: Dataset
        switch kind {
        case .fashionMNIST, .mnist:
            let prefix = split == .train ? "train" : "t10k"
            dataset = try idx(images: idxPath(folder, "\(prefix)-images-idx3-ubyte"),
                              labels: idxPath(folder, "\(prefix)-labels-idx1-ubyte"),
                              name: kind.rawValue, classes: 10, normalization: .defaults(for: kind))
        case .cifar10:
            let files = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
            let (pixels, labels) = try CIFARReader.readCIFAR10(at: files.map { path(folder, $0) })
            dataset = try Dataset(name: kind.rawValue, classes: 10, channels: 3, height: 32, width: 32,
                                  images: pixels, labels: labels, normalization: .defaults(for: kind))
        case .cifar100:
            let (pixels, labels) = try CIFARReader.readCIFAR100(at: [path(folder, "\(split.rawValue).bin")],
                                                                labels: cifar100Labels)
            dataset = try Dataset(name: kind.rawValue, classes: cifar100Labels == .fine ? 100 : 20,
                                  channels: 3, height: 32, width: 32, images: pixels, labels: labels,
                                  normalization: .defaults(for: kind))
        case .folder:
            return try Dataset.folder(folder, split: split, limit: limit)
        }
        if let limit { dataset = dataset.prefix(limit) }
        return dataset
    }

    /// Any single-channel IDX dataset: an image file and a label file with the same count.
    /// Without `classes`, the class count is the largest label + 1; without a `normalization`, the
    /// mean and std of the images are used.
    public static func idx(images imagesPath: String, labels labelsPath: String, name: String, classes: Int? = nil,
                           normalization: Normalization? = nil) throws -> Dataset {
        let images = try IDXReader.readImages(at: imagesPath)
        let labels = try IDXReader.readLabels(at: labelsPath, classes: classes ?? 256)
        let classes = classes ?? ((labels.max() ?? 0) + 1)
        guard images.count == labels.count else {
            throw DataError.countMismatch(imagesFile: FileBytes.displayName(imagesPath), images: images.count,
                                          labelsFile: FileBytes.displayName(labelsPath), labels: labels.count)
        }
        let stats = normalization ?? measuredNormalization(images.pixels)
        return try Dataset(name: name, classes: classes, channels: 1, height: images.rows, width: images.columns,
                           images: images.pixels, labels: labels, normalization: stats)
    }

    private static func measuredNormalization(_ pixels: [UInt8]) -> Normalization {
        var sum = 0.0, squares = 0.0
        for p in pixels { let v = Double(p) / 255; sum += v; squares += v * v }
        let n = Double(max(1, pixels.count))
        let mean = sum / n
        let std = max(max(squares / n - mean * mean, 0).squareRoot(), 1e-6)
        return Normalization(mean: [Float(mean)], std: [Float(std)])
    }

    private static func path(_ folder: String, _ file: String) -> String {
        (folder as NSString).appendingPathComponent(file)
    }

    private static func idxPath(_ folder: String, _ stem: String) -> String {
        let gz = path(folder, stem + ".gz")
        return FileManager.default.fileExists(atPath: gz) ? gz : path(folder, stem)
    }
}
