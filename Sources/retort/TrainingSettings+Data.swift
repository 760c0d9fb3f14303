import Foundation
import RetortDistill

extension TrainingSettings {
    /// The dataset kind of `--dataset`.
    func datasetKind() throws(CLIError) -> DatasetKind {
        guard let kind = DatasetKind(rawValue: dataset) else { throw .usage("dataset: unknown dataset '\(dataset)'") }
        return kind
    }

    /// `--input CxHxW` as a sample shape; nil when not given (a folder dataset then uses its layout's).
    /// Refused for the datasets whose images have one fixed size.
    func inputShape() throws(CLIError) -> (channels: Int, height: Int, width: Int)? {
        guard let input else { return nil }
        guard try datasetKind() == .folder else {
            throw .usage("--input sets the image size of --dataset folder; \(dataset) images have one size, leave --input out")
        }
        let (channels, size) = try ModelsCommand.inputShape(input)
        guard channels == 1 || channels == 3 else { throw .usage("--input: a folder's images decode to 1 or 3 channels, got \(channels)") }
        return (channels, size, size)
    }

    /// Channels of the samples: `--input`'s for a folder (3 by default), else the dataset's.
    func channels() throws(CLIError) -> Int {
        if let shape = try inputShape() { return shape.channels }
        return try datasetKind().channels
    }

    /// Whether the normalization is measured on a folder's training split (`--dataset folder
    /// --normalization dataset`), which ``normalization()`` cannot do without the files.
    var measuresNormalization: Bool { dataset == DatasetKind.folder.rawValue && normalizationPreset == .dataset && mean == nil }

    /// The input normalization: `--mean`/`--std`, else the `--normalization` preset, else the
    /// dataset's default (ImageNet's for a folder). Errors name the key and what fits.
    func normalization() throws(CLIError) -> Normalization {
        let kind = try datasetKind()
        let channels = try channels()
        if mean != nil || std != nil {
            guard let mean, let std else { throw .usage("--mean and --std go together: give both, one value per channel") }
            guard normalizationPreset == nil else {
                throw .usage("give either --normalization NAME or --mean/--std, not both")
            }
            for (key, values) in [("mean", mean), ("std", std)] where values.count != channels {
                throw .usage("\(key) has \(values.count) values but \(dataset) images have \(channels) channel"
                             + (channels == 1 ? "" : "s") + "; give one value per channel")
            }
            return Normalization(mean: mean, std: std)
        }
        if kind == .folder, normalizationPreset == nil || normalizationPreset == .imagenet || normalizationPreset == .dataset {
            return .imageNet(channels: channels)
        }
        if let normalizationPreset {
            guard let normalization = normalizationPreset.normalization(for: kind) else {
                throw .usage("normalization \(normalizationPreset.rawValue) defines no constants for \(dataset) (only for "
                             + "\(normalizationPreset.datasets.map(\.rawValue).joined(separator: ", "))); give --mean and --std instead")
            }
            return normalization
        }
        return .defaults(for: kind)
    }

    /// What a run's checkpoints record about its data: the normalization (`dataset`'s when given, the
    /// one its training split is normalized with), the label smoothing, the dataset and, where it
    /// names them, its classes (``Normalization/classesKey``, one per line).
    func checkpointMetadata(for dataset: Dataset? = nil) throws(CLIError) -> [String: String] {
        var metadata: [String: String]
        if let dataset { metadata = dataset.normalization.metadata } else { metadata = try normalization().metadata }
        metadata.merge(["label_smoothing": "\(labelSmoothing)", "dataset": self.dataset]) { $1 }
        if let names = dataset?.classNames { metadata[Normalization.classesKey] = names.joined(separator: "\n") }
        return metadata
    }

    /// The training and test splits, normalized. A folder is listed with `--input`, `--limit` and
    /// `--bad-images` (the files skipped are reported through `say`), and `--normalization dataset`
    /// measures its training split (2000 images drawn with `--seed`).
    func datasets(say: (String) -> Void) throws -> (train: Dataset, test: Dataset) {
        var train = try dataset(.train, limit: limit, say: say), test = try dataset(.test, limit: limit, say: say)
        train.normalization = measuresNormalization ? try train.measuredNormalization(seed: UInt64(seed)) : try normalization()
        if measuresNormalization { say("normalization measured on the training split: \(train.normalization.summary)") }
        test.normalization = train.normalization
        return (train, test)
    }

    /// One split of `--dataset` (its first `limit` samples): a folder listed with `--input` and
    /// `--bad-images` (the files skipped are reported through `say`), normalized with its default.
    func dataset(_ split: Split, limit: Int?, say: (String) -> Void) throws -> Dataset {
        let kind = try datasetKind()
        guard kind == .folder else { return try Dataset.load(kind, split: split, directory: dataDirectory, limit: limit) }
        guard let dataDirectory else {
            throw CLIError.usage("--dataset folder needs --data-dir DIR, the folder holding train/ and val/")
        }
        let dataset = try Dataset.folder(dataDirectory, split: split, shape: try inputShape(), limit: limit, badImages: badImages)
        if let skipped = dataset.files?.skipped, !skipped.isEmpty {
            say(Self.skippedNote(skipped, split: split == .train ? "train" : "val"))
        }
        return dataset
    }

    /// The training augmentation: for an `ImageFolder`, torchvision's ImageNet recipe
    /// (`RandomResizedCrop(S)` and flips); for Tiny-ImageNet and the in-memory datasets, a random crop
    /// with zero padding (2 on 28×28, else 4) and flips.
    func augmentation(for dataset: Dataset) throws -> Augmentation {
        if try datasetKind() == .folder, let dataDirectory, ImageFolder.layout(of: dataDirectory) == .imageFolder {
            return Augmentation(horizontalFlip: true, randomResizedCrop: RandomResizedCrop())
        }
        return Augmentation(cropPadding: dataset.height <= 28 ? 2 : 4, horizontalFlip: true)
    }

    /// The error naming the first file of `datasets` that failed to decode under `--bad-images fail`, or nil.
    static func decodeFailure(in datasets: [Dataset]) -> CLIError? {
        for dataset in datasets {
            guard let files = dataset.files, files.badImages == .fail, let first = files.failures.first else { continue }
            return .failed("\(first) (--bad-images fail stops at the first image that does not decode; "
                           + "--bad-images skip uses the next image in its place)")
        }
        return nil
    }

    /// The line that reports the files that failed to decode under `--bad-images skip`, or nil.
    static func decodeNote(in datasets: [Dataset]) -> String? {
        let failures = datasets.flatMap { $0.files?.failures.all ?? [] }
        guard !failures.isEmpty else { return nil }
        return "--bad-images skip: \(failures.count) file\(failures.count == 1 ? "" : "s") did not decode and the next image "
            + "took \(failures.count == 1 ? "its" : "their") place; first: "
            + failures.prefix(3).map(\.error.description).joined(separator: "; ")
    }

    /// The line that reports the files `--bad-images skip` left out of a split.
    static func skippedNote(_ skipped: [DataError], split: String) -> String {
        "--bad-images skip: left out \(skipped.count) file\(skipped.count == 1 ? "" : "s") of the \(split) split; first: "
            + skipped.prefix(3).map(\.description).joined(separator: "; ")
    }
}
