import Foundation
import XCTest
@testable import RetortDistill
import RetortTestSupport

/// Calibration and fidelity metrics against hand-computed cases.
final class MetricsTests: XCTestCase {
    func testCalibrationErrorOfHandMadePredictions() {
        // Two samples, two classes. Row 0: p = (0.8, 0.2), correct; row 1: p = (0.6, 0.4), wrong.
        let logits = [Float(log(0.8)), Float(log(0.2)), Float(log(0.6)), Float(log(0.4))]
        // 15 bins: 0.8 → bin 11 (acc 1, conf 0.8), 0.6 → bin 8 (acc 0, conf 0.6): ECE = ½·0.2 + ½·0.6.
        XCTAssertEqual(expectedCalibrationError(logits: logits, labels: [0, 1]), 0.4, accuracy: 1e-6)
        // Both in one bin with 1 bin: |½ − 0.7| = 0.2.
        XCTAssertEqual(expectedCalibrationError(logits: logits, labels: [0, 1], bins: 1), 0.2, accuracy: 1e-6)
        // Perfectly confident and right: 0.
        XCTAssertEqual(expectedCalibrationError(logits: [100, 0, 0, 100], labels: [0, 1]), 0, accuracy: 1e-9)
    }

    func testFidelityAgreementAndPredictiveKL() {
        let student: [Float] = [2, 0, 0, 1], teacher: [Float] = [1, 0, 2, 0]
        let fidelity = Fidelity(student: student, teachers: [teacher], classes: 2)
        XCTAssertEqual(fidelity.agreement, 0.5)
        func kl(_ t: [Double], _ s: [Double]) -> Double {
            func softmax(_ z: [Double]) -> [Double] { let e = z.map(Foundation.exp); let n = e.reduce(0, +); return e.map { $0 / n } }
            let (p, q) = (softmax(t), softmax(s))
            return zip(p, q).map { $0 * (Foundation.log($0) - Foundation.log($1)) }.reduce(0, +)
        }
        XCTAssertEqual(fidelity.predictiveKL, (kl([1, 0], [2, 0]) + kl([2, 0], [0, 1])) / 2, accuracy: 1e-9)
        let same = Fidelity(student: student, teachers: [student], classes: 2)
        XCTAssertEqual(same.agreement, 1)
        XCTAssertEqual(same.predictiveKL, 0, accuracy: 1e-12)
        // Two teachers: their probability average is the target (row: (0.5·σ(1,0) + 0.5·σ(0,1)) = uniform).
        let ensemble = Fidelity(student: [0, 0], teachers: [[1, 0], [0, 1]], classes: 2)
        XCTAssertEqual(ensemble.predictiveKL, 0, accuracy: 1e-12)
    }

    func testMixUpTargetsAndPartialMixing() {
        let images: [Float] = (0..<8).flatMap { [Float($0), Float($0)] }   // 8 images of 2 pixels, pixel = index
        let labels = [0, 1, 2, 0, 1, 2, 0, 1]
        var generator = SplitMix64(seed: 3)
        let full = MixUp(classes: 3, alpha: 1, unmixedFraction: 0).mix(images: images, labels: labels, generator: &generator)
        XCTAssertEqual(full.images.count, images.count)
        for row in 0..<8 {
            let target = full.targets[row * 3..<(row + 1) * 3]
            XCTAssertEqual(Double(target.reduce(0, +)), 1, accuracy: 1e-6, "soft targets sum to 1")
            XCTAssert(target.allSatisfy { $0 >= 0 })
        }
        var again = SplitMix64(seed: 3)
        XCTAssertEqual(MixUp(classes: 3, alpha: 1, unmixedFraction: 0).mix(images: images, labels: labels, generator: &again).images, full.images,
                       "same seed, same mix")
        var partial = SplitMix64(seed: 4)
        let mostlyUnmixed = MixUp(classes: 3, alpha: 1, unmixedFraction: 1).mix(images: images, labels: labels, generator: &partial)
        let unmixedRows = (0..<8).filter { row in mostlyUnmixed.targets[row * 3..<(row + 1) * 3].contains(1) }
        XCTAssertGreaterThanOrEqual(unmixedRows.count, 3, "partial mixup leaves rows unmixed")
        // Beta(α, α) draws stay in [0, 1] and average ½.
        var beta = SplitMix64(seed: 9)
        let draws = (0..<4000).map { _ in MixUp.beta(0.4, using: &beta) }
        XCTAssert(draws.allSatisfy { (0...1).contains($0) })
        XCTAssertEqual(Double(draws.reduce(0, +)) / 4000, 0.5, accuracy: 0.03)
    }
}
