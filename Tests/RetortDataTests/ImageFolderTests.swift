import XCTest
@testable import RetortData

final class ImageFolderTests: XCTestCase {
    /// Classes sort by their bytes (Python's `sorted`: "B" < "a" < "b" < "é"); files sort by name within
    /// a class, sub-folders included; names without an image extension are ignored, any case counts.
    func testImageFolderListsSortedClassesAndImagesOnly() throws {
        let files = try TestFiles()
        let image = files.flat(red: 1, size: 4)
        for name in ["b/2.png", "b/10.PNG", "b/sub/0.jpg", "a/x.JpEg", "B/only.png", "é/1.png"] {
            try files.writeImage("train/\(name)", image)
        }
        try files.writeNested("train/b/notes.txt", Array("not an image".utf8))
        try files.writeNested("train/a/.DS_Store", [0, 1, 2])
        try files.writeNested("train/README", Array("a stray file beside the classes".utf8))
        let listing = try ImageFolder(directory: files.directory.path, split: .train)
        XCTAssertEqual(listing.layout, .imageFolder)
        XCTAssertEqual(listing.classNames, ["B", "a", "b", "é"])
        let relative = listing.paths.map { String($0.dropFirst(files.directory.path.count + "/train/".count)) }
        XCTAssertEqual(relative, ["B/only.png", "a/x.JpEg", "b/10.PNG", "b/2.png", "b/sub/0.jpg", "é/1.png"])
        XCTAssertEqual(listing.labels, [0, 1, 2, 2, 2, 3])
    }

    /// torchvision raises `FileNotFoundError: Found no valid file for the classes …`; so does this, naming them.
    func testEmptyClassFolderIsAnErrorNamingTheClass() throws {
        let files = try TestFiles()
        try files.writeImage("train/cat/1.png", files.flat(red: 1, size: 4))
        try files.writeNested("train/dog/readme.txt", Array("no images here".utf8))
        try FileManager.default.createDirectory(at: files.directory.appendingPathComponent("train/emu"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder(directory: files.directory.path, split: .train)) { error in
            let message = "\(error)"
            XCTAssert(message.contains("Found no valid file for the classes dog, emu"), message)
            XCTAssert(message.contains(".jpg") && message.contains("train"), message)
        }
        XCTAssertThrowsError(try ImageFolder(directory: files.directory.path, split: .test)) { error in
            XCTAssert("\(error)".contains("val"), "a missing val/ folder is named: \(error)")
        }
    }

    /// Tiny-ImageNet: wnids sorted whatever wnids.txt's order; validation labels from val_annotations.txt,
    /// listed by class then name; words.txt describes the classes.
    func testTinyImageNetReadsWnidsAndValidationAnnotations() throws {
        let files = try TestFiles()
        let wnids = ["n01443537", "n01629819", "n01641577"]
        try files.writeTinyImageNet(wnids: wnids, perClass: 3)
        let train = try ImageFolder(directory: files.directory.path, split: .train)
        XCTAssertEqual(train.layout, .tinyImageNet)
        XCTAssertEqual(train.classNames, wnids)
        XCTAssertEqual(train.classDescriptions, wnids.map { "thing \($0)" })
        XCTAssertEqual(train.labels, [0, 0, 0, 1, 1, 1, 2, 2, 2])
        XCTAssert(train.paths[4].hasSuffix("train/n01629819/images/n01629819_1.JPEG"), train.paths[4])
        let val = try ImageFolder(directory: files.directory.path, split: .test)
        XCTAssertEqual(val.labels, [0, 0, 1, 1, 2, 2])
        XCTAssertEqual(val.paths.map { URL(fileURLWithPath: $0).lastPathComponent },
                       ["val_0.JPEG", "val_1.JPEG", "val_2.JPEG", "val_3.JPEG", "val_4.JPEG", "val_5.JPEG"])
        // The pixels agree with the labels: validation image k of class c has red 100 + 40c + 20k (JPEG: within 4).
        let dataset = try Dataset.folder(files.directory.path, split: .test, shape: (3, 8, 8))
        let loader = try DataLoader(dataset: dataset, batchSize: 6, normalization: Normalization(mean: [0, 0, 0], std: [1, 1, 1]))
        let batch = try XCTUnwrap(Array(loader.batches(epoch: 0)).first)
        for (slot, label) in batch.labels.enumerated() {
            XCTAssertEqual(batch.images[slot * 192] * 255, Float(100 + 40 * label + 20 * (slot % 2)), accuracy: 4)
        }
    }

    func testTinyImageNetAnnotationOfAnUnknownWnidNamesTheLine() throws {
        let files = try TestFiles()
        try files.writeTinyImageNet(wnids: ["n1", "n2"], perClass: 1)
        try files.writeNested("val/val_annotations.txt", Array("val_0.JPEG\tn1\t0\t0\t8\t8\nval_1.JPEG\tn7\t0\t0\t8\t8\n".utf8))
        XCTAssertThrowsError(try ImageFolder(directory: files.directory.path, split: .test)) { error in
            XCTAssert("\(error)".contains("val_annotations.txt: line 2"), "\(error)")
        }
    }
}
