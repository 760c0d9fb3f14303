import Foundation
import RetortRandom

extension Dataset {
    /// The sample shape of a folder dataset when none is given: 3×64×64 for Tiny-ImageNet (its
    /// native size), 3×224×224 for an `ImageFolder` (ImageNet's).
    public static func defaultShape(of layout: ImageFolder.Layout) -> (channels: Int, height: Int, width: Int) {
        layout == .tinyImageNet ? (3, 64, 64) : (3, 224, 224)
    }

    /// The shorter side a folder's images are resized to before the centre `height`×`width` crop:
    /// torchvision's ImageNet evaluation recipe for an `ImageFolder` (`Resize(round(S · 256/224))` +
    /// `CenterCrop(S)`, S the shorter output side); none for Tiny-ImageNet, whose images are used at
    /// their size (resized to S only when that differs).
    public static func resizeShortSide(layout: ImageFolder.Layout, height: Int, width: Int) -> Int {
        let side = min(height, width)
        return layout == .tinyImageNet ? side : Int((Double(side) * 256 / 224).rounded(.toNearestOrEven))
    }

    /// A folder dataset (``ImageFolder``) whose samples are `shape` (default: the layout's,
    /// ``defaultShape(of:)``; one channel decodes gray), read from the files on demand.
    ///
    /// Listing checks each file's first bytes: a file that is neither a JPEG nor a PNG throws under
    /// ``BadImagePolicy/fail`` and is left out (recorded in ``ImageFiles/skipped``) under `skip`.
    /// `limit` keeps the first samples in class order. The normalization is ImageNet's
    /// (``Normalization/imageNet(channels:)``).
    public static func folder(_ directory: String, split: Split, shape: (channels: Int, height: Int, width: Int)? = nil,
                              limit: Int? = nil, badImages: BadImagePolicy = .fail) throws -> Dataset {
        if let limit, limit <= 0 { throw DataError.invalidArgument("limit must be positive, got \(limit)") }
        let listing = try ImageFolder(directory: directory, split: split)
        let shape = shape ?? defaultShape(of: listing.layout)
        var paths: [String] = [], labels: [Int] = [], skipped: [DataError] = []
        for (path, label) in zip(listing.paths, listing.labels) {
            if let limit, paths.count == limit { break }
            if let problem = signatureProblem(path) {
                guard badImages == .skip else { throw problem }
                skipped.append(problem)
                continue
            }
            paths.append(path)
            labels.append(label)
        }
        guard !paths.isEmpty else {
            throw DataError.invalidArgument("\(directory): no readable image in the \(split == .train ? "train" : "val") split "
                                            + "(\(skipped.count) skipped as not JPEG or PNG)")
        }
        let files = ImageFiles(paths: paths, resizeShortSide: resizeShortSide(layout: listing.layout, height: shape.height,
                                                                              width: shape.width),
                               badImages: badImages, skipped: skipped)
        let name = URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        var dataset = try Dataset(name: name, classes: listing.classNames.count, channels: shape.channels, height: shape.height,
                                  width: shape.width, files: files, labels: labels,
                                  normalization: .imageNet(channels: shape.channels), classNames: listing.classNames)
        dataset.classDescriptions = listing.classDescriptions
        return dataset
    }

    /// The error for a file whose first bytes are not a JPEG's or a PNG's signature, or nil.
    static func signatureProblem(_ path: String) -> DataError? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .unreadable(file: path, reason: "cannot open the file")
        }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
        guard ImageDecoder.Format(signature: head) == nil else { return nil }
        return .notAnImage(path: path, reason: head.isEmpty ? "the file is empty" : "its first bytes are no JPEG or PNG signature")
    }

    /// The per-channel mean and std of the samples of a file-backed dataset, as evaluation makes them
    /// (resize and centre crop): measured on `samples` images drawn without replacement with `seed`
    /// (all of them when there are fewer). Files that fail to decode are left out.
    public func measuredNormalization(samples: Int = 2000, seed: UInt64 = 0) throws -> Normalization {
        guard let files else { throw DataError.invalidArgument("\(name): measuring the normalization needs a folder dataset") }
        var order = Array(0..<count)
        var generator = SplitMix64(seed: seed)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
        var sums = [Double](repeating: 0, count: channels), squares = sums
        var measured = 0
        let decoder = ImageDecoder()
        for index in order.prefix(samples) {
            guard let image = try? decoder.decode(contentsOf: files.paths[index], channels: channels) else { continue }
            let pixels = files.sample(image, size: (height, width), crop: nil, using: &generator)
            let plane = height * width
            for c in 0..<channels {
                for value in pixels[(c * plane)..<((c + 1) * plane)] {
                    let v = Double(value) / 255
                    sums[c] += v
                    squares[c] += v * v
                }
            }
            measured += 1
        }
        guard measured > 0 else { throw DataError.invalidArgument("\(name): no image decodes, so no statistics can be measured") }
        let n = Double(measured * height * width)
        let means = sums.map { $0 / n }
        let stds = zip(squares, means).map { max(max($0 / n - $1 * $1, 0).squareRoot(), 1e-6) }
        return Normalization(mean: means.map(Float.init), std: stds.map(Float.init))
    }
}
