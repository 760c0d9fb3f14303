import Retort
import XCTest
import RetortCompute

// Comparing the 16-bit (fp16/bf16) kernels with the fp32 ones on the same inputs.

/// Largest |x − y| over the largest |y| (1 when y is all zeros): the error of a reduced-precision result
/// measured on the scale of the whole output. A NaN or infinity in one where the other has none (or a
/// different one) is an infinite error.
public func maxErrorRelativeToScale(_ x: [Float], _ y: [Float]) -> Double {
    precondition(x.count == y.count, "compared arrays differ in length: \(x.count) vs \(y.count)")
    let scale = y.lazy.filter(\.isFinite).map { abs(Double($0)) }.max() ?? 0
    var worst = 0.0
    for (actual, expected) in zip(x, y) {
        if !actual.isFinite || !expected.isFinite {
            if !((actual.isNaN && expected.isNaN) || actual == expected) { return .infinity }
            continue
        }
        worst = max(worst, abs(Double(actual) - Double(expected)))
    }
    return worst / (scale > 0 ? scale : 1)
}

extension Precision {
    /// The unit roundoff: half the gap between 1 and the next value (2⁻²⁴, 2⁻¹¹, 2⁻⁸).
    public var unitRoundoff: Double {
        switch self {
        case .float32: return 0x1p-24
        case .float16: return 0x1p-11
        case .bfloat16: return 0x1p-8
        }
    }

    /// How far a 16-bit kernel may be from the fp32 kernel given the same (already rounded) inputs,
    /// relative to the output's largest magnitude (``maxErrorRelativeToScale(_:_:)``): both run the same
    /// fp32 arithmetic on the same values, and the 16-bit one rounds each result once on store, an error
    /// of at most u·|y| ≤ u·max|y| (u = 2⁻¹¹ for fp16, 2⁻⁸ for bf16; fp16's subnormals are even closer in
    /// absolute terms). Twice u: 9.8e-4 for fp16, 7.8e-3 for bf16.
    public var kernelTolerance: Double { 2 * unitRoundoff }
}

extension Device {
    /// A buffer holding `values` in `precision` (rounded to nearest even; a 16-bit one padded to whole
    /// 8-byte texels, as tensors are).
    public func makeBuffer(_ values: [Float], precision: Precision) throws -> Buffer {
        guard precision.isReduced else { return try makeBuffer(values) }
        let words = precision.narrow(values)
        return try makeBuffer(words + [UInt16](repeating: 0, count: (4 - words.count % 4) % 4))
    }

    /// Uninitialized room for `count` values of `precision` (padded like ``makeBuffer(_:precision:)``).
    public func makeBuffer(count: Int, precision: Precision) throws -> Buffer {
        try makeBuffer(byteCount: precision.isReduced ? (max(1, count) * 2 + 7) / 8 * 8 : max(1, count) * 4)
    }
}

extension Buffer {
    /// The first `count` values, stored in `precision`, as `Float`s.
    public func read(_ precision: Precision, count: Int) throws -> [Float] {
        precision.isReduced ? precision.widen(try read(UInt16.self, count: count)) : try read(Float.self, count: count)
    }
}

extension [Float] {
    /// These values as `precision` stores them (what a 16-bit kernel reads).
    public func rounded(to precision: Precision) -> [Float] { map(precision.rounded) }
}

extension DeviceTestCase {
    /// Runs `encode` twice on `inputs` rounded to `precision`: once with fp32 buffers (the reference) and once
    /// with buffers of `precision`, and asserts that each of the `outputs` (their element counts) is within
    /// `tolerance` (by default ``Precision/kernelTolerance``) of the fp32 result, with NaN and infinities at
    /// the same places. `encode` gets the input and output buffers and the precision to launch with, and
    /// returns any fp32 outputs of its own (parameter gradients), which must agree as closely.
    public func assertMatchesFloat32(_ precision: Precision, inputs: [[Float]], outputs: [Int], _ label: String,
                                     tolerance: Double? = nil, file: StaticString = #filePath, line: UInt = #line,
                                     _ encode: (CommandStream, [Buffer], [Buffer], Precision) throws -> [(Buffer, Int)]) throws {
        let rounded = inputs.map { $0.rounded(to: precision) }
        func run(_ storage: Precision) throws -> [[Float]] {
            let stream = try device.makeStream()
            let ins = try rounded.map { try device.makeBuffer($0, precision: storage) }
            let outs = try outputs.map { try device.makeBuffer(count: $0, precision: storage) }
            let extra = try encode(stream, ins, outs, storage)
            try stream.run()
            return try zip(outs, outputs).map { try $0.read(storage, count: $1) } + extra.map { try $0.0.read(Float.self, count: $0.1) }
        }
        let (reference, reduced) = (try run(.float32), try run(precision))
        for (index, (actual, expected)) in zip(reduced, reference).enumerated() {
            let error = maxErrorRelativeToScale(actual, expected)
            XCTAssertLessThanOrEqual(error, tolerance ?? precision.kernelTolerance, "\(label) \(precision): output \(index)",
                                     file: file, line: line)
        }
    }
}
