import Foundation
import XCTest
@testable import RetortData

final class DatasetTests: XCTestCase {
    /// The real Fashion-MNIST test split from the Debian package `dataset-fashion-mnist`.
    func testFashionMNISTTestSplit() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: Dataset.fashionMNISTDirectory, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            return XCTFail("\(Dataset.fashionMNISTDirectory) is missing: run `make deps` (installs dataset-fashion-mnist)")
        }
        let test = try Dataset.load(.fashionMNIST, split: .test)
        XCTAssertEqual(test.name, "fashion-mnist")
        XCTAssertEqual(test.count, 10000)
        XCTAssertEqual([test.classes, test.channels, test.height, test.width], [10, 1, 28, 28])
        XCTAssertEqual(test.images.count, 10000 * 784)
        XCTAssertEqual(test.labels.first, 9, "the first t10k label is 9 (ankle boot)")
        XCTAssertEqual(Set(test.labels), Set(0..<10))
        XCTAssertEqual(test.labels.filter { $0 == 3 }.count, 1000, "each class has 1000 test images")
        XCTAssertEqual(test.normalization, Normalization(mean: [0.2860], std: [0.3530]))
        let mean = test.images.reduce(0.0) { $0 + Double($1) } / Double(test.images.count) / 255
        XCTAssertEqual(mean, 0.2868, accuracy: 0.002, "test-split pixel mean")

        let limited = try Dataset.load(.fashionMNIST, split: .test, limit: 100)
        XCTAssertEqual(limited.count, 100)
        XCTAssertEqual(limited.labels, Array(test.labels.prefix(100)))
        XCTAssertEqual(limited.images, Array(test.images.prefix(100 * 784)))
    }

    func testLimitAndValidation() throws {
        let dataset = try Dataset(name: "toy", classes: 3, channels: 1, height: 2, width: 2, images: Array(0..<12),
                                  labels: [0, 1, 2], normalization: Normalization(mean: [0.5], std: [0.5]))
        XCTAssertEqual(dataset.prefix(2).images, Array(0..<8))
        XCTAssertEqual(dataset.prefix(10).count, 3)
        XCTAssertThrowsError(try Dataset(name: "toy", classes: 2, channels: 1, height: 2, width: 2, images: Array(0..<12),
                                         labels: [0, 1, 2], normalization: Normalization(mean: [0.5], std: [0.5])))
        XCTAssertThrowsError(try Dataset(name: "toy", classes: 3, channels: 1, height: 2, width: 2, images: Array(0..<11),
                                         labels: [0, 1, 2], normalization: Normalization(mean: [0.5], std: [0.5])))
        XCTAssertDataError(try Dataset.load(.fashionMNIST, split: .test, limit: 0),
                           .invalidArgument("limit must be positive, got 0"), mentions: "limit")
    }
}
