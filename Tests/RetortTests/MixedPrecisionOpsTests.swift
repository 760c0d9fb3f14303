import XCTest
@testable import Retort
import RetortCompute
import RetortDistributed
import RetortTestSupport

/// Small networks under `context.autocast(.float16)` and `(.bfloat16)`: the matrix ops cast their operands
/// to 16 bits, batch norm, ReLU and max pooling follow their input's precision, and the loss and every fp32
/// parameter's gradient agree with the same network in fp32.
final class MixedPrecisionOpsTests: ContextTestCase {
    private struct Parameters {
        let tensors: [Tensor]
        init(_ context: Context, _ shapes: [[Int]], seed: UInt64) throws {
            var random = TestRandom(seed: seed)
            tensors = try shapes.map { shape in
                let count = shape.reduce(1, *)
                // Batch-norm scales near 1, everything else small and centred.
                let values = shape.count == 1 && shape != [3] ? random.floats(count, in: 0.5...1.5) : random.floats(count, in: -0.5...0.5)
                return try Tensor(values, shape: shape, context: context, requiresGrad: true)
            }
        }
    }

    /// conv 3×3 + bias → batch norm (training) → ReLU → 2×2 max pool → flatten → linear, plane6's layers;
    /// `check` sees each intermediate result.
    private func plainNetwork(_ x: Tensor, _ p: [Tensor], check: (String, Tensor) -> Void = { _, _ in }) throws -> Tensor {
        let (n, c) = (x.shape[0], p[0].shape[0])
        let conv = try x.conv2d(weight: p[0], bias: p[1], padding: 1)
        let mean = try Tensor([Float](repeating: 0, count: c), shape: [c], context: context)
        let variance = try Tensor([Float](repeating: 1, count: c), shape: [c], context: context)
        let normalized = try conv.batchNorm(weight: p[2], bias: p[3], runningMean: mean, runningVariance: variance, training: true)
        let activated = try normalized.relu()
        let pooled = try activated.maxPool2d(kernel: 2)
        let logits = try pooled.reshaped([n, pooled.count / n]).linear(weight: p[4], bias: p[5])
        for (name, tensor) in [("conv", conv), ("batch norm", normalized), ("relu", activated), ("max pool", pooled), ("linear", logits)] {
            check(name, tensor)
        }
        return logits
    }

    private func lossAndGradients(_ parameters: [Tensor], precision: Precision,
                                  _ network: () throws -> Tensor) throws -> [[Float]] {
        for parameter in parameters { parameter.grad = nil }
        // Σ logits ⊙ w with positive w: the head's gradients do not cancel (a sum of both signs would make a
        // small result of large rounded terms, which says nothing about the kernels).
        let loss = try context.autocast(precision) {
            let logits = try network().float32()
            var random = TestRandom(seed: 71)
            return try (logits * Tensor(random.floats(logits.count, in: 0.5...1.5), shape: logits.shape, context: context)).sum()
        }
        try loss.backward()
        let gradients = try parameters.map { parameter -> [Float] in
            let gradient = try XCTUnwrap(parameter.grad)
            XCTAssertEqual(gradient.precision, .float32, "an fp32 parameter's gradient is fp32")
            return try gradient.toArray()
        }
        return [try loss.toArray()] + gradients
    }

    /// Asserts that the loss and the gradients of `parameters` under `autocast(precision)` agree with fp32.
    /// How close they can be depends on the network's conditioning: batch norm subtracts means, and sums
    /// of gradients of both signs cancel, so a relative error of u in the stored values can become a
    /// larger one in the results. The test measures that: the fp32 network run once more on its input and
    /// parameters rounded to `precision` (one rounding of u, 2⁻¹¹ fp16 or 2⁻⁸ bf16, at the leaves) shows
    /// how far one rounding moves each result. A mixed-precision step rounds at every op (each activation,
    /// each activation gradient, the weights' casts), but those errors are of the same kind and size and
    /// largely independent: measured, the step lands about one such move from fp32 (0.9–1.2× on these
    /// networks, fp16 and bf16). It must stay within 4 moves plus 4u of each result's largest magnitude
    /// (the rounding of the loss's gradient and of the result itself, which rounding the leaves does not
    /// show). A gradient that is zero in exact arithmetic (`vanishing`: the bias of a convolution followed
    /// by batch norm, which the normalization removes) is rounding noise in both, and its error is
    /// measured on the scale of the largest gradient instead.
    private func assertAgreesWithFloat32(_ precision: Precision, leaves: [Tensor], parameters: [Tensor], vanishing: Set<Int> = [],
                                         _ label: String, _ network: () throws -> Tensor, file: StaticString = #filePath,
                                         line: UInt = #line) throws {
        let reference = try lossAndGradients(parameters, precision: .float32, network)
        let originals = try leaves.map { try $0.toArray() }
        for (leaf, values) in zip(leaves, originals) { try leaf.assign(values.rounded(to: precision)) }
        let rounded = try lossAndGradients(parameters, precision: .float32, network)
        for (leaf, values) in zip(leaves, originals) { try leaf.assign(values) }
        let mixed = try lossAndGradients(parameters, precision: precision, network)
        let largest = reference.dropFirst().flatMap { $0 }.map { abs(Double($0)) }.max() ?? 1
        for (index, expected) in reference.enumerated() {
            let name = index == 0 ? "loss" : "gradient of parameter \(index - 1)"
            let bound = 4 * maxErrorRelativeToScale(rounded[index], expected) + 4 * precision.unitRoundoff
            let error = vanishing.contains(index - 1)
                ? zip(mixed[index], expected).map { abs(Double($0) - Double($1)) }.max()! / largest
                : maxErrorRelativeToScale(mixed[index], expected)
            XCTAssertLessThanOrEqual(error, vanishing.contains(index - 1) ? 4 * precision.unitRoundoff : bound,
                                     "\(label) \(precision): \(name)", file: file, line: line)
        }
    }

    func testPlainNetworkMatchesFloat32() throws {
        var random = TestRandom(seed: 73)
        let x = try tensor(random.floats(4 * 2 * 8 * 8), [4, 2, 8, 8])
        let p = try Parameters(context, [[4, 2, 3, 3], [4], [4], [4], [3, 64], [3]], seed: 79).tensors
        for precision in [Precision.float16, .bfloat16] {
            try assertAgreesWithFloat32(precision, leaves: [x] + p, parameters: p, vanishing: [1],
                                        "conv → BN → ReLU → max pool → linear") {
                try plainNetwork(x, p) { name, tensor in
                    XCTAssertEqual(tensor.precision, context.autocastPrecision, "\(name) under autocast(\(context.autocastPrecision))")
                    if tensor.precision.isReduced {
                        XCTAssertEqual(tensor.buffer.byteCount, (tensor.count * 2 + 7) / 8 * 8, "\(name) stores 16-bit values")
                    }
                }
            }
        }
    }

    /// A ResNet basic block on a 16-bit stem: conv → BN+ReLU (fused) → conv → BN, the residual sum + ReLU in
    /// one pass, global average pooling and a linear head.
    func testResidualBlockMatchesFloat32() throws {
        var random = TestRandom(seed: 83)
        let x = try tensor(random.floats(2 * 3 * 6 * 6), [2, 3, 6, 6])
        let p = try Parameters(context, [[4, 3, 3, 3], [4, 4, 3, 3], [4], [4], [4, 4, 3, 3], [4], [4], [3, 4], [3]], seed: 89).tensors
        func statistics() throws -> (Tensor, Tensor) {
            (try Tensor([Float](repeating: 0, count: 4), shape: [4], context: context),
             try Tensor([Float](repeating: 1, count: 4), shape: [4], context: context))
        }
        func network() throws -> Tensor {
            let stem = try x.conv2d(weight: p[0], padding: 1)
            let (m1, v1) = try statistics(), (m2, v2) = try statistics()
            let inner = try stem.conv2d(weight: p[1], padding: 1)
                .batchNorm(weight: p[2], bias: p[3], runningMean: m1, runningVariance: v1, training: true, activation: .relu)
            let out = try inner.conv2d(weight: p[4], padding: 1).batchNorm(weight: p[5], bias: p[6], runningMean: m2, runningVariance: v2,
                                                                           training: true)
            let block = try out.reluOfSum(with: stem)
            XCTAssertEqual(block.precision, context.autocastPrecision, "the residual sum stays in the activations' precision")
            return try block.globalAvgPool2d().linear(weight: p[7], bias: p[8])
        }
        for precision in [Precision.float16, .bfloat16] {
            try assertAgreesWithFloat32(precision, leaves: [x] + p, parameters: p, "residual block", network)
        }
    }

    /// Evaluation-mode batch norm (running statistics, fused ReLU) on a 16-bit convolution, forward and
    /// backward (the gradients pruning criteria take in evaluation mode).
    func testEvaluationModeBatchNormMatchesFloat32() throws {
        var random = TestRandom(seed: 97)
        let x = try tensor(random.floats(2 * 2 * 5 * 5), [2, 2, 5, 5])
        let p = try Parameters(context, [[3, 2, 3, 3], [3], [3], [3], [2, 75], [2]], seed: 101).tensors
        let mean = try tensor([0.1, -0.2, 0.05], [3]), variance = try tensor([0.8, 1.3, 0.6], [3])
        for precision in [Precision.float16, .bfloat16] {
            try assertAgreesWithFloat32(precision, leaves: [x] + p, parameters: p, "evaluation-mode batch norm") {
                let normalized = try x.conv2d(weight: p[0], bias: p[1], padding: 1)
                    .batchNorm(weight: p[2], bias: p[3], runningMean: mean, runningVariance: variance, training: false, activation: .relu)
                XCTAssertEqual(normalized.precision, context.autocastPrecision)
                return try normalized.reshaped([2, 75]).linear(weight: p[4], bias: p[5])
            }
        }
    }

    /// Synchronized batch norm computes in fp32: a 16-bit input gives what fp32 batch norm gives on it widened,
    /// and the gradient reaches the input.
    func testSynchronizedBatchNormOfASixteenBitInputComputesInFloat32() throws {
        var random = TestRandom(seed: 103)
        let x = try tensor(random.floats(2 * 3 * 4 * 4), [2, 3, 4, 4], requiresGrad: true)
        let gamma = try tensor([1.5, 0.5, 1], [3]), beta = try tensor([0.1, 0, -0.2], [3])
        func normalized(_ input: Tensor, _ group: (any ProcessGroup)?) throws -> Tensor {
            try input.batchNorm(weight: gamma, bias: beta, runningMean: tensor([0, 0, 0], [3]), runningVariance: tensor([1, 1, 1], [3]),
                                training: true, activation: .relu, synchronizedOver: group)
        }
        let synchronized = try normalized(x.cast(to: .bfloat16), OneProcess())
        XCTAssertEqual(synchronized.precision, .float32)
        let expected = try context.noGrad { try normalized(x.cast(to: .bfloat16).float32(), nil) }
        XCTAssertLessThanOrEqual(maxErrorRelativeToScale(try synchronized.toArray(), try expected.toArray()), 1e-6)
        try weightedSum(synchronized, seed: 107).backward()
        XCTAssertEqual(try XCTUnwrap(x.grad).count, x.count)
    }

    /// Outside autocast the matrix ops compute in their operands' precision, and in fp32 when they differ.
    func testOperandsOfDifferentPrecisionsComputeInFloat32() throws {
        let a = try tensor([1, 2, 3, 4], [2, 2]), b = try tensor([0.5, -1, 2, 0.25], [2, 2])
        let product = try a.cast(to: .float16).matmul(b)
        XCTAssertEqual(product.precision, .float32)
        XCTAssertEqual(try product.toArray(), try a.matmul(b).toArray())
        XCTAssertEqual(try a.cast(to: .bfloat16).matmul(b.cast(to: .bfloat16)).precision, .bfloat16)
    }
}

/// A process group of one rank: every collective leaves the values as they are.
private final class OneProcess: ProcessGroup, @unchecked Sendable {
    var rank: Int { 0 }
    var size: Int { 1 }
    var localRank: Int { 0 }
    var localSize: Int { 1 }
    func allReduce(_ values: inout [Float], _ operation: ReduceOperation) throws(ProcessGroupError) {}
    func allReduce(_ values: inout [Double], _ operation: ReduceOperation) throws(ProcessGroupError) {}
    func allReduce(_ values: inout [Int64], _ operation: ReduceOperation) throws(ProcessGroupError) {}
    func broadcast(_ bytes: inout [UInt8], from root: Int) throws(ProcessGroupError) {}
    func allGather(_ values: [Float]) throws(ProcessGroupError) -> [[Float]] { [values] }
    func barrier() throws(ProcessGroupError) {}
    func abort(code: Int32) -> Never { exit(code) }
}
