import Foundation
import RetortData
import RetortRandom

/// `retort-bench data`: images/s of Retort's training loader (a folder ``Dataset`` and ``DataLoader``
/// in train mode: RandomResizedCrop, horizontal flip, ImageNet normalization into float batches, on
/// `workers` threads) against torchvision's `ImageFolder` + `DataLoader(num_workers=workers)` with the
/// same transforms (`Benchmarks/peers/data_peer.py`), on the same generated JPEG files, in the same run.
/// Each side runs one warm-up epoch (reported apart) and then `epochs` timed ones.
struct DataBenchmark {
    /// One folder of generated JPEGs: `images` files of `widths` × `heights` (drawn per image), in
    /// `classes` class folders, read as `side` × `side` samples.
    struct Case {
        var name: String
        var side: Int
        var widths: ClosedRange<Int>
        var heights: ClosedRange<Int>
        var images: Int
        var classes = 8
        /// Seeds the files' sizes and pixels.
        var seed: UInt64

        /// Tiny-ImageNet-like: 64 × 64 files, 64 × 64 samples.
        static func tiny(images: Int) -> Case { Case(name: "jpeg64", side: 64, widths: 64...64, heights: 64...64, images: images, seed: 1) }
        /// ImageNet-like: files of about 300 × 270, of varying sizes, 224 × 224 samples.
        static func imageNet(images: Int) -> Case {
            Case(name: "jpeg224", side: 224, widths: 256...340, heights: 240...300, images: images, seed: 2)
        }

        var sourceSizes: String {
            widths.count == 1 && heights.count == 1 ? "\(widths.lowerBound)x\(heights.lowerBound)"
                : "\(widths.lowerBound)-\(widths.upperBound)x\(heights.lowerBound)-\(heights.upperBound)"
        }
    }

    let cases: [Case]
    let workers: Int
    let batchSize: Int
    let epochs: Int
    /// Where the folders are generated (and kept, and reused by later runs); nil: a temporary folder,
    /// removed at the end.
    let directory: String?
    /// Also run torchvision.
    let peers: Bool

    static let quality = 90

    func run() throws -> [String: Any] {
        let root: URL
        if let directory {
            root = URL(fileURLWithPath: directory)
        } else {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("retort-bench-data-\(UUID().uuidString)")
        }
        defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
        let peer: PeerComparison? = peers ? try? PeerComparison.locate(vulkanDevice: "") : nil
        var results: [[String: Any]] = []
        for benchmarkCase in cases {
            // Named by the count too, so a folder reused with another --images holds exactly its files.
            let folder = root.appendingPathComponent("\(benchmarkCase.name)-\(benchmarkCase.images)")
            let bytes = try Self.generate(benchmarkCase, into: folder.appendingPathComponent("train"))
            log("\(benchmarkCase.name): \(benchmarkCase.images) JPEGs of \(benchmarkCase.sourceSizes) (\(bytes / 1024) KiB) "
                + "in \(folder.path)")
            var entry: [String: Any] = ["name": benchmarkCase.name, "images": benchmarkCase.images,
                                        "source_sizes": benchmarkCase.sourceSizes, "megabytes": Double(bytes) / 1e6,
                                        "sample": "3x\(benchmarkCase.side)x\(benchmarkCase.side)"]
            let retort = try retortRate(folder.path, side: benchmarkCase.side)
            entry["retort"] = retort
            entry["retort_stages_ms_per_image"] = try Self.stages(folder.path, side: benchmarkCase.side)
            log("\(benchmarkCase.name): Retort \(retort["images_per_second"]!) images/s")
            if peers {
                do {
                    guard let peer else { throw PeerComparison.Unavailable(description: "peers script or Python not found") }
                    let torchvision = try peerRate(peer, folder.appendingPathComponent("train").path, side: benchmarkCase.side)
                    entry["torchvision"] = torchvision
                    if let theirs = torchvision["images_per_second"] as? Double, let ours = retort["images_per_second"] as? Double {
                        entry["ratio"] = (ours / theirs * 1000).rounded() / 1000
                    }
                    log("\(benchmarkCase.name): torchvision \(torchvision["images_per_second"] ?? "?") images/s")
                } catch {
                    entry["torchvision"] = ["error": "\(error)"]
                    log("\(benchmarkCase.name): torchvision not measured: \(error)")
                }
            }
            results.append(entry)
        }
        return ["benchmark": "data", "workers": workers, "batch_size": batchSize, "epochs": epochs,
                "cores": ProcessInfo.processInfo.activeProcessorCount, "jpeg_quality": Self.quality,
                "cases": results,
                "note": "images/s over the timed epochs (after one warm-up epoch, reported apart); ratio = Retort / "
                    + "torchvision (above 1: Retort is faster); train-mode transforms on both sides: RandomResizedCrop "
                    + "(bilinear), horizontal flip, ImageNet normalization, batches of batch_size"]
    }

    /// Retort's loader: one warm-up epoch, then `epochs` timed ones.
    private func retortRate(_ folder: String, side: Int) throws -> [String: Any] {
        let dataset = try Dataset.folder(folder, split: .train, shape: (3, side, side))
        let augmentation = Augmentation(horizontalFlip: true, randomResizedCrop: RandomResizedCrop())
        let loader = try DataLoader(dataset: dataset, batchSize: batchSize, mode: .train(augmentation), seed: 1, workers: workers)
        var seconds: [Double] = []
        for epoch in 0...epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            var images = 0
            for batch in loader.batches(epoch: epoch) { images += batch.labels.count }
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            guard images == dataset.count else { throw DataError.invalidArgument("an epoch gave \(images) of \(dataset.count) images") }
        }
        if let failure = dataset.files?.failures.first { throw failure }
        let timed = Array(seconds.dropFirst())
        return ["warmup_seconds": seconds[0], "epoch_seconds": timed,
                "images_per_second": (Double(dataset.count * timed.count) / timed.reduce(0, +)).rounded()]
    }

    /// torchvision's loader on the same files, through `data_peer.py` beside the peers script.
    private func peerRate(_ peer: PeerComparison, _ folder: String, side: Int) throws(PeerComparison.Unavailable) -> [String: Any] {
        let script = peer.script.deletingLastPathComponent().appendingPathComponent("data_peer.py")
        let dataPeer = PeerComparison(script: script, python: peer.python, vulkanDevice: "")
        let output = try dataPeer.runScript(["--root", folder, "--size", "\(side)", "--workers", "\(workers)",
                                             "--batch-size", "\(batchSize)", "--epochs", "\(epochs)"], input: Data())
        guard let object = try? JSONSerialization.jsonObject(with: output) as? [String: Any], object["images_per_second"] is Double else {
            throw PeerComparison.Unavailable(description: "\(script.path) printed no images_per_second")
        }
        var result = object
        result["images_per_second"] = ((object["images_per_second"] as? Double ?? 0)).rounded()
        return result
    }

    /// Milliseconds per image on one thread, over the first 64 files: the whole loader (workers 1, no
    /// prefetch), and within it reading the file, decoding it and the random resized crop, timed apart;
    /// `rest` is the loader's time less those three (flip, normalization, batch assembly).
    static func stages(_ folder: String, side: Int) throws -> [String: Double] {
        let dataset = try Dataset.folder(folder, split: .train, shape: (3, side, side), limit: 64)
        guard let paths = dataset.files?.paths else { return [:] }
        var totals = [Double](repeating: 0, count: 4)
        var generator = SplitMix64(seed: 2)
        let decoder = ImageDecoder()
        func timed<T>(_ stage: Int, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { totals[stage] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }
            return try body()
        }
        for path in paths {
            let bytes = try timed(0) { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
            let image = try timed(1) { try decoder.decode(bytes, path: path, channels: 3) }
            let box = RandomResizedCrop().box(height: image.height, width: image.width, using: &generator)
            _ = timed(2) {
                RandomResizedCrop.apply(box, to: image.pixels, channels: 3, height: image.height, width: image.width, size: (side, side))
            }
        }
        let augmentation = Augmentation(horizontalFlip: true, randomResizedCrop: RandomResizedCrop())
        let loader = try DataLoader(dataset: dataset, batchSize: 64, mode: .train(augmentation), prefetch: 0, workers: 1)
        timed(3) { for _ in loader.batches(epoch: 0) {} }
        totals.append(totals[3] - totals[0] - totals[1] - totals[2])
        let names = ["read", "decode", "random_resized_crop", "loader", "rest"]
        return Dictionary(uniqueKeysWithValues: zip(names, totals.map { ($0 / Double(paths.count) * 1000).rounded() / 1000 }))
    }

    /// Writes the case's JPEGs under `folder` (`c0/00000.JPEG`, …; each drawn from its own seed) unless a
    /// previous run left them there; returns their total bytes.
    static func generate(_ benchmarkCase: Case, into folder: URL) throws -> Int {
        let manager = FileManager.default
        var total = 0
        for index in 0..<benchmarkCase.images {
            var generator = SplitMix64(seed: benchmarkCase.seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(index))
            let classFolder = folder.appendingPathComponent("c\(index % benchmarkCase.classes)")
            let file = classFolder.appendingPathComponent(String(format: "%05d.JPEG", index))
            let width = benchmarkCase.widths.lowerBound + Int(generator.next() % UInt64(benchmarkCase.widths.count))
            let height = benchmarkCase.heights.lowerBound + Int(generator.next() % UInt64(benchmarkCase.heights.count))
            if let size = (try? manager.attributesOfItem(atPath: file.path))?[.size] as? Int, size > 0 {
                total += size
                continue
            }
            try manager.createDirectory(at: classFolder, withIntermediateDirectories: true)
            let bytes = try ImageEncoder.jpeg(picture(width: width, height: height, using: &generator), quality: quality)
            try Data(bytes).write(to: file)
            total += bytes.count
        }
        return total
    }

    /// A photo-like picture: per channel a base level, two soft waves (one along rows, one along
    /// columns) and grain, so JPEG spends a few bits per pixel as on natural images.
    static func picture(width: Int, height: Int, using generator: inout SplitMix64) -> DecodedImage {
        var pixels = [UInt8](repeating: 0, count: 3 * width * height)
        for c in 0..<3 {
            let base = Double(generator.next() % 160) + 48
            let (fx, fy) = (Double(generator.next() % 1000) / 8000 + 0.01, Double(generator.next() % 1000) / 8000 + 0.01)
            let columns = (0..<width).map { 40 * sin(Double($0) * fx) }
            let rows = (0..<height).map { 40 * cos(Double($0) * fy) }
            for y in 0..<height {
                for x in 0..<width {
                    let grain = Double(generator.next() % 41) - 20
                    pixels[(c * height + y) * width + x] = UInt8(max(0, min(255, base + columns[x] + rows[y] + grain)))
                }
            }
        }
        return DecodedImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// A Markdown table of a report: one row per case.
    static func markdown(_ report: [String: Any]) -> String {
        var lines = ["| case | images | files | Retort images/s | torchvision images/s | Retort / torchvision |",
                     "|---|---|---|---|---|---|"]
        for entry in report["cases"] as? [[String: Any]] ?? [] {
            let retort = (entry["retort"] as? [String: Any])?["images_per_second"].map { "\($0)" } ?? "–"
            let peer = entry["torchvision"] as? [String: Any]
            let theirs = peer?["images_per_second"].map { "\($0)" } ?? (peer?["error"] == nil ? "–" : "error")
            let ratio = entry["ratio"].map { "\($0)×" } ?? "–"
            let cells = ["\(entry["name"] ?? "")", "\(entry["images"] ?? "")", "\(entry["source_sizes"] ?? "")", retort, theirs, ratio]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    private func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
