import Foundation
import RetortCompute
import RetortOracle

/// One check of `retort selftest`: a kernel variant on one shape, run on the device and compared with
/// its CPU oracle (RetortOracle) by the largest relative error, against the tolerance its unit tests use.
struct SelfTestCase {
    /// Which pass of the op the case checks.
    enum Direction: String, Codable {
        case forward, backward
        /// An optimizer's parameter update.
        case step
    }

    /// How a result's error is measured.
    enum Measure: String, Codable {
        /// |x − y| / max(1, |y|) per element (``maxRelativeError(_:_:)``), the unit tests' measure.
        case element
        /// |x − y| / max(1, max |y|) (``maxScaledError(_:_:)``), the Winograd unit tests' measure on the zoo's shapes.
        case scale
    }

    /// The family `--only` selects it by (`gemm`, `conv`, …).
    let family: String
    /// The variant and shape, e.g. `winograd 3x3 [2,16,32,32]→16`.
    let name: String
    let direction: Direction
    /// Largest relative error (|x − y| / max(1, |y|)) that passes.
    let tolerance: Double
    var measure = Measure.element
    /// Records the case on the bench's stream, runs it, and returns its worst relative error.
    let run: (SelfTestBench) throws -> Double
}

/// The outcome of one case.
struct SelfTestResult: Encodable {
    let family: String
    let name: String
    let direction: SelfTestCase.Direction
    /// Infinite when the kernel wrote a NaN or ∞ the oracle has not, or the case threw.
    let worstRelativeError: Double
    let tolerance: Double
    let measure: SelfTestCase.Measure
    /// Time on the device (submit and wait), in milliseconds; the oracle's time is not counted.
    let milliseconds: Double
    /// The error the case threw (a launcher refusing the shape, a device error), if any.
    let failure: String?

    var passed: Bool { failure == nil && worstRelativeError <= tolerance }

    init(_ testCase: SelfTestCase, worstRelativeError: Double, milliseconds: Double, failure: String?) {
        (family, name, direction) = (testCase.family, testCase.name, testCase.direction)
        (self.worstRelativeError, tolerance, measure) = (worstRelativeError, testCase.tolerance, testCase.measure)
        (self.milliseconds, self.failure) = (milliseconds, failure)
    }

    private enum CodingKeys: String, CodingKey {
        case family, name, direction, worstRelativeError, tolerance, measure, milliseconds, failure, passed
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(family, forKey: .family)
        try container.encode(name, forKey: .name)
        try container.encode(direction, forKey: .direction)
        // JSON has no infinity: an infinite error is written as null.
        try container.encode(worstRelativeError.isFinite ? worstRelativeError : nil, forKey: .worstRelativeError)
        try container.encode(tolerance, forKey: .tolerance)
        try container.encode(measure, forKey: .measure)
        try container.encode((milliseconds * 100).rounded() / 100, forKey: .milliseconds)
        try container.encodeIfPresent(failure, forKey: .failure)
        try container.encode(passed, forKey: .passed)
    }
}
