import Foundation
import XCTest
import Retort
import RetortCompute

/// Base class for tests that run tensors on the device: a fresh context per test, and any
/// validation message fails the test.
open class ContextTestCase: XCTestCase {
    public var context: Context!

    open override func setUpWithError() throws {
        let device = try TestDevice.shared.get()
        _ = device.drainValidationMessages()
        context = try Context(device: device)
    }

    open override func tearDown() {
        if let context {
            try? context.synchronize()
            let messages = context.device.drainValidationMessages()
            XCTAssert(messages.isEmpty, "validation messages:\n\(messages.joined(separator: "\n"))")
        }
        context = nil
        super.tearDown()
    }

    public func tensor(_ values: [Float], _ shape: [Int], requiresGrad: Bool = false) throws -> Tensor {
        try Tensor(values, shape: shape, context: context, requiresGrad: requiresGrad)
    }

    /// `Σ y ⊙ w` with a fixed random `w` drawn from `seed`: a scalar whose gradient reaches every
    /// element of `y`, for gradient checks of ops with non-scalar results.
    public func weightedSum(_ y: Tensor, seed: UInt64) throws -> Tensor {
        var generator = SplitMix64(seed: seed)
        return try (y * Tensor(generator.floats(y.count), shape: y.shape, context: y.context)).sum()
    }

    /// Checks the gradients `backward()` gives for `loss(inputs)` against central finite differences
    /// computed on the device in Double-summed host arithmetic, at every element of every input.
    public func checkGradients(_ inputs: [(values: [Float], shape: [Int])], step: Float = 1e-2, tolerance: Double = 1e-2,
                        file: StaticString = #filePath, line: UInt = #line, _ loss: ([Tensor]) throws -> Tensor) throws {
        let tensors = try inputs.map { try tensor($0.values, $0.shape, requiresGrad: true) }
        let value = try loss(tensors)
        try value.backward()
        for (index, input) in inputs.enumerated() {
            let analytic = try XCTUnwrap(tensors[index].grad, "input \(index) got no gradient", file: file, line: line).toArray()
            for element in input.values.indices {
                func evaluate(_ delta: Float) throws -> Double {
                    try context.noGrad {
                        let shifted = try inputs.enumerated().map { other, entry -> Tensor in
                            var values = entry.values
                            if other == index { values[element] += delta }
                            return try tensor(values, entry.shape)
                        }
                        return Double(try loss(shifted).item())
                    }
                }
                let numeric = (try evaluate(step) - evaluate(-step)) / (2 * Double(step))
                let error = abs(Double(analytic[element]) - numeric) / max(1, abs(numeric))
                XCTAssertLessThanOrEqual(error, tolerance, "input \(index)[\(element)]: backward \(analytic[element]) vs finite difference \(numeric)",
                                         file: file, line: line)
            }
        }
    }
}
