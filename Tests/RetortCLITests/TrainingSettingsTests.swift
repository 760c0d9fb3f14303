import XCTest
import RetortData
@testable import retort

/// The input normalization settings every training command shares: `--normalization NAME`,
/// `--mean`/`--std`, the default, and what a run's checkpoints record.
final class TrainingSettingsTests: XCTestCase {
    private func message(_ flags: [String: String]) -> String {
        do {
            _ = try TrainConfiguration.resolve(file: nil, flags: flags, switches: [])
            return "no error"
        } catch { return error.description }
    }

    func testPresetsMeanAndStdAndTheDefault() throws {
        let cifar100 = try TrainConfiguration.resolve(file: nil, flags: ["dataset": "cifar100"], switches: [])
        XCTAssertEqual(try cifar100.training.normalization(), Normalization(mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761]),
                       "CIFAR-100 defaults to RepDistiller's constants")
        let takd = try TrainConfiguration.resolve(file: nil, flags: ["dataset": "cifar10", "normalization": "takd"], switches: [])
        XCTAssertEqual(try takd.training.normalization(), NormalizationPreset.takd.normalization(for: .cifar10))
        let given = try TrainConfiguration.resolve(file: ["mean": [0.5], "std": [0.25]], flags: [:], switches: [])
        XCTAssertEqual(try given.training.normalization(), Normalization(mean: [0.5], std: [0.25]))
        XCTAssertEqual(given.json["mean"] as? [Double], [0.5])
        let cifar = try TrainConfiguration.resolve(file: nil, flags: ["dataset": "cifar100", "mean": "0.5071,0.4867,0.4408",
                                                                      "std": "0.2675,0.2565,0.2761"], switches: [])
        XCTAssertEqual(cifar.json["std"] as? [Double], [0.2675, 0.2565, 0.2761], "config.json holds the values as given")
        let reread = try TrainConfiguration.resolve(file: cifar.json, flags: [:], switches: [])
        XCTAssertEqual(try reread.training.normalization(), try cifar.training.normalization())
        XCTAssertEqual(takd.json["normalization"] as? String, "takd")
        let metadata = try given.training.checkpointMetadata()
        XCTAssertEqual(metadata["normalization_mean"], "0.5")
        XCTAssertEqual(metadata["normalization_std"], "0.25")
        XCTAssertEqual(metadata["label_smoothing"], "0.0")
    }

    /// `--dataset folder` takes `--input`, `--workers` and `--bad-images`; they reach config.json and back,
    /// and a gray `--input` gets ImageNet's statistics averaged over the channels.
    func testFolderSettingsRoundTripAndRefuseWhatDoesNotFit() throws {
        let flags = ["dataset": "folder", "data-dir": "images", "input": "1x48x48", "workers": "3", "bad-images": "skip"]
        let folder = try TrainConfiguration.resolve(file: nil, flags: flags, switches: [])
        XCTAssertEqual(try folder.training.normalization(), Normalization(mean: [0.449], std: [0.226]))
        XCTAssert(try folder.training.inputShape()! == (1, 48, 48))
        XCTAssertEqual(folder.json["input"] as? String, "1x48x48")
        XCTAssertEqual(folder.json["workers"] as? Int, 3)
        XCTAssertEqual(folder.json["bad-images"] as? String, "skip")
        let reread = try TrainConfiguration.resolve(file: folder.json, flags: [:], switches: [])
        XCTAssertEqual(reread.training, folder.training)
        let rgb = try TrainConfiguration.resolve(file: nil, flags: ["dataset": "folder", "normalization": "imagenet"], switches: [])
        XCTAssertEqual(try rgb.training.normalization(), .imageNet)
        XCTAssert(message(["input": "3x32x32"]).contains("--input sets the image size of --dataset folder"))
        XCTAssert(message(["dataset": "folder", "input": "2x32x32"]).contains("1 or 3 channels"))
        XCTAssert(message(["dataset": "folder", "input": "3x32x16"]).contains("--input must be CxHxW with a square image"))
        XCTAssert(message(["workers": "0"]).contains("workers"))
        XCTAssert(message(["bad-images": "maybe"]).contains("bad-images must be skip or fail"))
        XCTAssert(message(["dataset": "imagenet"]).contains("fashion-mnist, mnist, cifar10, cifar100 or folder"))
    }

    func testBadValuesNameTheKey() {
        XCTAssert(message(["normalization": "nonsense"]).contains("normalization must be one of repdistiller, mdistiller, torchdistill"))
        XCTAssert(message(["normalization": "imagenet"]).contains("normalization imagenet defines no constants for fashion-mnist"))
        XCTAssert(message(["normalization": "repdistiller"]).contains("normalization repdistiller defines no constants for fashion-mnist"))
        XCTAssert(message(["mean": "0.5"]).contains("--mean and --std go together"))
        XCTAssert(message(["mean": "0.5,0.4", "std": "0.2,0.2"]).contains("mean has 2 values but fashion-mnist images have 1 channel"))
        XCTAssert(message(["mean": "0.5", "std": "0"]).contains("std must be one positive number per channel"))
        XCTAssert(message(["mean": "x", "std": "0.3"]).contains("mean must be one number per channel"))
        XCTAssert(message(["mean": "0.5", "std": "0.3", "normalization": "dataset"]).contains("not both"))
    }

    func testABadFlagExitsWithTwo() throws {
        let run = try RetortProcess.run(["train", "--model", "plane2", "--normalization", "pytorch"])
        XCTAssertEqual(run.status, 2, run.output + run.errors)
        XCTAssert(run.errors.contains("normalization must be one of"), run.errors)
    }
}
