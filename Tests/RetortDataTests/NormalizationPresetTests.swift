import XCTest
@testable import RetortData

/// Each reference codebase's input normalization (kd-methods §2.2), the defaults, and the checkpoint
/// metadata that carries a normalization from a run to `eval`, `predict` and `distill`.
final class NormalizationPresetTests: XCTestCase {
    func testTheCodebasesConstants() {
        let repDistiller = Normalization(mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761])
        XCTAssertEqual(NormalizationPreset.repdistiller.normalization(for: .cifar100), repDistiller)
        XCTAssertEqual(NormalizationPreset.mdistiller.normalization(for: .cifar100), repDistiller)
        XCTAssertEqual(NormalizationPreset.torchdistill.normalization(for: .cifar100),
                       Normalization(mean: [0.5070754, 0.48655024, 0.44091907], std: [0.26733398, 0.25643876, 0.2761503]))
        XCTAssertEqual(NormalizationPreset.torchdistill.normalization(for: .cifar10),
                       Normalization(mean: [0.49139968, 0.48215841, 0.44653091], std: [0.24703223, 0.24348513, 0.26158784]))
        let takd = Normalization(mean: [0.507, 0.487, 0.441], std: [0.267, 0.256, 0.276])
        XCTAssertEqual(NormalizationPreset.takd.normalization(for: .cifar100), takd)
        XCTAssertEqual(NormalizationPreset.takd.normalization(for: .cifar10), takd, "TAKD uses the CIFAR-100 statistics for CIFAR-10 too")
        XCTAssertEqual(NormalizationPreset.prue.normalization(for: .cifar10),
                       Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010]))
        XCTAssertNil(NormalizationPreset.repdistiller.normalization(for: .cifar10))
        XCTAssertEqual(NormalizationPreset.repdistiller.datasets, [.cifar100])
        XCTAssertEqual(NormalizationPreset.dataset.datasets, DatasetKind.allCases)
    }

    func testCIFAR100DefaultsToRepDistillerAndTheOthersToTheirStatistics() {
        XCTAssertEqual(Normalization.defaults(for: .cifar100), NormalizationPreset.repdistiller.normalization(for: .cifar100))
        XCTAssertEqual(NormalizationPreset.dataset.normalization(for: .cifar100),
                       Normalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762]))
        for kind in [DatasetKind.fashionMNIST, .mnist, .cifar10] {
            XCTAssertEqual(Normalization.defaults(for: kind), NormalizationPreset.dataset.normalization(for: kind))
            XCTAssertEqual(Normalization.defaults(for: kind).mean.count, kind.channels)
        }
    }

    func testMetadataRoundTripsAndMalformedMetadataReadsAsNone() {
        let normalization = Normalization(mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761])
        XCTAssertEqual(normalization.metadata, ["normalization_mean": "0.5071,0.4867,0.4408", "normalization_std": "0.2675,0.2565,0.2761"])
        XCTAssertEqual(Normalization(metadata: normalization.metadata.merging(["epoch": "3"]) { $1 }), normalization)
        XCTAssertNil(Normalization(metadata: ["epoch": "3"]), "a checkpoint from elsewhere records none")
        XCTAssertNil(Normalization(metadata: ["normalization_mean": "0.5,x", "normalization_std": "0.2,0.2"]))
        XCTAssertNil(Normalization(metadata: ["normalization_mean": "0.5,0.5", "normalization_std": "0.2"]))
        XCTAssertNil(Normalization(metadata: ["normalization_mean": "0.5", "normalization_std": "0"]))
        XCTAssertEqual(normalization.summary, "(0.5071, 0.4867, 0.4408) / (0.2675, 0.2565, 0.2761)")
    }
}
