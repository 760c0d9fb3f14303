import Foundation
import XCTest
@testable import RetortDistill

/// A teacher trained under one normalization, fed inputs of another through the wrapper, computes
/// what it computes on its own inputs.
final class RenormalizedClassifierTests: XCTestCase {
    private let studentNormalization = Normalization(mean: [0.2, 0.5, 0.7], std: [0.1, 0.3, 0.5])
    private let teacherNormalization = NormalizationPreset.repdistiller.normalization(for: .cifar100)!

    /// `count` random 3×8×8 byte images, normalized with `normalization`, as a tensor.
    private func batch(_ pixels: [UInt8], count: Int, _ normalization: Normalization, context: Context) throws -> Tensor {
        var values = [Float](repeating: 0, count: pixels.count)
        for image in 0..<count {
            let size = pixels.count / count
            Transforms.normalize(pixels[(image * size)..<((image + 1) * size)], channels: 3, normalization: normalization,
                                 into: &values, at: image * size)
        }
        return try Tensor(values, shape: [count, 3, 8, 8], context: context)
    }

    func testTheWrappedTeacherSeesTheInputsItWasTrainedOn() throws {
        let context = try Context()
        let pixels = (0..<(4 * 3 * 8 * 8)).map { (index: Int) -> UInt8 in UInt8((index * 73 + index / 7 * 29 + 11) % 256) }
        let teacher = try ModelZoo.make("plane2", inputChannels: 3, inputSize: 8, classes: 5, context: context, seed: 7)
        teacher.eval()
        let own = try batch(pixels, count: 4, teacherNormalization, context: context)
        let students = try batch(pixels, count: 4, studentNormalization, context: context)
        let wrapped = try RenormalizedClassifier(teacher, from: studentNormalization, to: teacherNormalization, context: context)

        // The renormalized input against a Double reference of the teacher's own normalization.
        let reference = pixels.enumerated().map { index, pixel -> Double in
            let c = (index / 64) % 3
            return (Double(pixel) / 255 - Double(teacherNormalization.mean[c])) / Double(teacherNormalization.std[c])
        }
        let renormalized = try wrapped.renormalized(students).toArray()
        let inputError = zip(renormalized, reference).map { abs(Double($0) - $1) }.max() ?? .infinity
        XCTAssertLessThan(inputError, 2e-5)

        let expected = try teacher(own).toArray()
        let logits = try wrapped(students).toArray()
        XCTAssertEqual(logits.count, expected.count)
        let scale = expected.map { abs(Double($0)) }.max() ?? 1
        let logitError = zip(logits, expected).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
        XCTAssertLessThan(logitError, 1e-4 * max(scale, 1))
        XCTAssertEqual(try wrapped.features(students).pooled.shape, try teacher.features(own).pooled.shape)
        XCTAssertEqual(wrapped.namedParameters().count, teacher.namedParameters().count, "the teacher's parameters, under classifier.")
        XCTAssert(wrapped.namedParameters().allSatisfy { $0.name.hasPrefix("classifier.") })
    }

    func testChannelCountsMustAgree() throws {
        let context = try Context()
        let teacher = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 8, classes: 5, context: context, seed: 7)
        XCTAssertThrowsError(try RenormalizedClassifier(teacher, from: Normalization(mean: [0.3], std: [0.3]), to: teacherNormalization,
                                                        context: context)) { error in
            XCTAssert("\(error)".contains("1 channels but the teacher's normalization has 3"), "\(error)")
        }
    }
}
