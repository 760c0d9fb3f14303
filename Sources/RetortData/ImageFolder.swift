import Foundation

/// Lists the images of a folder dataset, in one of two layouts, the way PyTorch code reads them:
///
/// - torchvision's `ImageFolder`: `DIR/train/<class>/…` and `DIR/val/<class>/…`. The classes are the
///   sub-folder names sorted by their bytes (Python's `sorted`); each class's files are found
///   recursively (as `os.walk`, folders sorted by path and files by name). A file is an image when
///   its name ends in one of ``extensions`` (any case); other files are ignored. A class folder
///   without an image is an error, as torchvision's `FileNotFoundError: Found no valid file for the
///   classes …`.
/// - Tiny-ImageNet (told by `DIR/wnids.txt`): the classes are the wnids of `wnids.txt`, sorted as
///   above (the labels torchvision's `ImageFolder` gives `train/`); training images are
///   `train/<wnid>/images/*`, validation images `val/images/*` labelled by `val/val_annotations.txt`
///   (file, wnid, box), listed by class and then by name. `words.txt`, when present, describes each wnid.
///
/// ``Split/train`` reads `train/`, ``Split/test`` reads `val/`.
public struct ImageFolder: Sendable {
    /// The layouts ``ImageFolder`` reads.
    public enum Layout: String, Sendable {
        case imageFolder = "ImageFolder"
        case tinyImageNet = "Tiny-ImageNet"
    }

    /// torchvision's `IMG_EXTENSIONS`. Only JPEG and PNG files decode; the others are listed and then
    /// refused as bad images (``BadImagePolicy``).
    public static let extensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"]

    public var layout: Layout
    /// The class identifiers (folder names or wnids) in label order.
    public var classNames: [String]
    /// Tiny-ImageNet's `words.txt` description of each class, in label order, when the file exists.
    public var classDescriptions: [String]?
    /// The image files, in dataset order (by class, then by path).
    public var paths: [String]
    /// One label per file.
    public var labels: [Int]

    /// Lists `split` of the dataset in `directory`.
    public init(directory: String, split: Split) throws(DataError) {
        let root = URL(fileURLWithPath: directory)
        guard Self.isDirectory(root.path) else { throw .missingFile(path: directory) }
        let folder = root.appendingPathComponent(split == .train ? "train" : "val")
        guard Self.isDirectory(folder.path) else {
            throw .invalidArgument("\(folder.path): no such folder; a folder dataset has train/ and val/ sub-folders "
                                   + "(train/<class>/<image> as torchvision's ImageFolder, or the Tiny-ImageNet layout with wnids.txt)")
        }
        if Self.layout(of: directory) == .tinyImageNet {
            self = try ImageFolder(tinyImageNet: root, folder: folder, split: split)
        } else {
            layout = .imageFolder
            classNames = try Self.sorted(Self.entries(of: folder).filter { Self.isDirectory(folder.appendingPathComponent($0).path) })
            guard !classNames.isEmpty else {
                throw .invalidArgument("Couldn't find any class folder in \(folder.path); put each class's images in "
                                       + "\(folder.path)/<class>/")
            }
            paths = []
            labels = []
            var empty: [String] = []
            for (label, name) in classNames.enumerated() {
                let files = try Self.images(under: folder.appendingPathComponent(name))
                if files.isEmpty { empty.append(name) }
                paths += files
                labels += Array(repeating: label, count: files.count)
            }
            guard empty.isEmpty else {
                throw .invalidArgument("\(folder.path): Found no valid file for the classes \(empty.joined(separator: ", ")). "
                                       + "Supported extensions are: \(Self.extensions.joined(separator: ", ")) "
                                       + "(as torchvision's ImageFolder); add images or remove the empty class folders")
            }
        }
    }

    private init(tinyImageNet root: URL, folder: URL, split: Split) throws(DataError) {
        layout = .tinyImageNet
        let wnids = Self.sorted(try Self.lines(root.appendingPathComponent("wnids.txt")).map { String($0.split(separator: "\t")[0]) })
        guard !wnids.isEmpty, Set(wnids).count == wnids.count else {
            throw .invalidArgument("\(root.appendingPathComponent("wnids.txt").path): expected one distinct wnid per line")
        }
        classNames = wnids
        let words = root.appendingPathComponent("words.txt")
        if FileManager.default.fileExists(atPath: words.path) {
            var described: [String: String] = [:]
            for line in try Self.lines(words) {
                let parts = line.split(separator: "\t", maxSplits: 1)
                if parts.count == 2 { described[String(parts[0])] = String(parts[1]) }
            }
            classDescriptions = wnids.map { described[$0] ?? $0 }
        }
        let index = Dictionary(uniqueKeysWithValues: wnids.enumerated().map { ($1, $0) })
        paths = []
        labels = []
        if split == .train {
            for (label, wnid) in wnids.enumerated() {
                let images = folder.appendingPathComponent(wnid).appendingPathComponent("images")
                let files = Self.isDirectory(images.path) ? try Self.images(under: images) : []
                guard !files.isEmpty else {
                    throw .invalidArgument("\(images.path): no images for class \(wnid) of wnids.txt; "
                                           + "Tiny-ImageNet keeps each class's training images in train/<wnid>/images/")
                }
                paths += files
                labels += Array(repeating: label, count: files.count)
            }
            return
        }
        let annotations = folder.appendingPathComponent("val_annotations.txt")
        var samples: [(label: Int, name: String)] = []
        for (number, line) in try Self.lines(annotations).enumerated() {
            let fields = line.split(separator: "\t")
            guard fields.count >= 2, let label = index[String(fields[1])] else {
                throw .invalidArgument("\(annotations.path): line \(number + 1) ('\(line.prefix(60))') does not name a file and a "
                                       + "wnid of wnids.txt, tab-separated")
            }
            samples.append((label, String(fields[0])))
        }
        samples.sort { $0.label != $1.label ? $0.label < $1.label : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let images = folder.appendingPathComponent("images")
        for sample in samples {
            let path = images.appendingPathComponent(sample.name).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw .invalidArgument("\(path): listed in \(annotations.path) but missing")
            }
            paths.append(path)
            labels.append(sample.label)
        }
    }

    /// The layout of the dataset in `directory`: Tiny-ImageNet when it holds `wnids.txt`.
    public static func layout(of directory: String) -> Layout {
        let wnids = URL(fileURLWithPath: directory).appendingPathComponent("wnids.txt").path
        return FileManager.default.fileExists(atPath: wnids) ? .tinyImageNet : .imageFolder
    }

    /// Whether `name` ends in one of ``extensions``, in any case.
    public static func isImageName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return extensions.contains { lower.hasSuffix($0) }
    }

    /// The image files under `folder` and its sub-folders: folders in path order, files by name.
    static func images(under folder: URL) throws(DataError) -> [String] {
        var found: [String] = []
        var folders = [folder]
        var visited: [URL] = []
        while let next = folders.popLast() {
            visited.append(next)
            for name in try entries(of: next) {
                let url = next.appendingPathComponent(name)
                if isDirectory(url.path) { folders.append(url) }
            }
        }
        for directory in visited.sorted(by: { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }) {
            for name in sorted(try entries(of: directory)) where isImageName(name) {
                let path = directory.appendingPathComponent(name).path
                if !isDirectory(path) { found.append(path) }
            }
        }
        return found
    }

    /// Names sorted by their UTF-8 bytes, as Python sorts strings.
    static func sorted(_ names: [String]) -> [String] {
        names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func entries(of folder: URL) throws(DataError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw .unreadable(file: folder.path, reason: "cannot list the folder (\((error as NSError).localizedDescription))")
        }
    }

    private static func lines(_ url: URL) throws(DataError) -> [String] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw FileManager.default.fileExists(atPath: url.path)
                ? .unreadable(file: url.path, reason: "not readable as UTF-8 text") : .missingFile(path: url.path)
        }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
