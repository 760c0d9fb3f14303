import Foundation
import XCTest
import Retort
import RetortCompute
import RetortDistributed
import RetortTestSupport

/// Synchronized batch norm: ranks that each hold part of a batch normalize, backpropagate and update
/// their running statistics as one process holding the whole batch, under the data-parallel gradient
/// weighting (each rank's loss a mean over its rows, gradients summed with weight rows / batch).
final class BatchNormSynchronizedTests: ContextTestCase {
    private var random = SplitMix64(seed: 23)

    /// Two ranks on two threads (each with its own context on the test device) against one process,
    /// on an uneven split (2 + 3 rows), with and without the fused ReLU, for planes of 4k floats
    /// (the vectorized kernels) and of odd size.
    func testRanksTogetherEqualOneProcessWithTheWholeBatch() throws {
        for (h, w) in [(4, 4), (3, 5)] {
            for activation in [Tensor.Activation.identity, .relu] {
                try checkRanksMatchOneProcess(rows: [2, 3], channels: 3, height: h, width: w, activation: activation)
            }
        }
    }

    /// Equal shards, as `mpirun -np 2` with an even batch, over three channels of a wider layer.
    func testEqualShardsMatchOneProcess() throws {
        try checkRanksMatchOneProcess(rows: [2, 2], channels: 5, height: 2, width: 2, activation: .relu)
    }

    /// One rank through the synchronized path (the host round trips and the combine of the
    /// statistics) against central finite differences.
    func testSingleRankGradientsMatchFiniteDifferences() throws {
        let c = 3, group = ThreadedProcessGroup.ranks(1)[0]
        try checkGradients([(random.floats(2 * c * 3 * 2), [2, c, 3, 2]), (random.floats(c, in: 0.5...1.5), [c]), (random.floats(c), [c])],
                           tolerance: 2e-2) { t in
            let context = t[0].context
            let mean = try Tensor.zeros(shape: [c], context: context), variance = try Tensor.full(1, shape: [c], context: context)
            let y = try t[0].batchNorm(weight: t[1], bias: t[2], runningMean: mean, runningVariance: variance, training: true,
                                       synchronizedOver: group)
            return try weightedSum(y, seed: 4)
        }
    }

    /// Evaluation mode ignores the group: no collective is called (a group that fails every call).
    func testEvaluationModeCommunicatesNothing() throws {
        let c = 2
        let x = try tensor(random.floats(2 * c * 4), [2, c, 2, 2])
        let gamma = try tensor([1, 2], [c]), beta = try tensor([0, 1], [c])
        let mean = try tensor([0.5, -0.5], [c]), variance = try tensor([2, 0.5], [c])
        let plain = try x.batchNorm(weight: gamma, bias: beta, runningMean: mean, runningVariance: variance, training: false)
        let synchronized = try x.batchNorm(weight: gamma, bias: beta, runningMean: mean, runningVariance: variance, training: false,
                                           synchronizedOver: FailingProcessGroup())
        XCTAssertEqual(try plain.toArray(), try synchronized.toArray())
    }

    /// A failing collective surfaces as the op's error, not a hang or a wrong result.
    func testFailedAllReduceIsAnError() throws {
        let x = try tensor(random.floats(2 * 2 * 4), [2, 2, 2, 2])
        let gamma = try tensor([1, 1], [2]), beta = try tensor([0, 0], [2])
        let mean = try tensor([0, 0], [2]), variance = try tensor([1, 1], [2])
        XCTAssertThrowsError(try x.batchNorm(weight: gamma, bias: beta, runningMean: mean, runningVariance: variance, training: true,
                                             synchronizedOver: FailingProcessGroup())) { error in
            XCTAssertEqual(error as? ProcessGroupError, FailingProcessGroup.failure)
        }
    }

    // MARK: Helpers

    /// Runs `rows.count` ranks on their rows of one batch and one process on the whole batch, and
    /// compares y, the gradients (rank r's loss is `Σ_{its rows} y·r / w_r`, w_r its share; the
    /// parameter gradients summed with the weights w_r) and the running statistics.
    private func checkRanksMatchOneProcess(rows: [Int], channels c: Int, height h: Int, width w: Int,
                                           activation: Tensor.Activation) throws {
        let n = rows.reduce(0, +), plane = c * h * w
        let x = random.floats(n * plane).map { $0 * 2 + 0.5 }, upstream = random.floats(n * plane)
        let gamma = random.floats(c, in: 0.5...1.5), beta = random.floats(c, in: -0.2...0.2)
        let runningMean = random.floats(c), runningVariance = random.floats(c, in: 0.5...2)
        let whole = try Self.step(context: context, x: x, upstream: upstream, shape: [n, c, h, w], gamma: gamma, beta: beta,
                                  running: (runningMean, runningVariance), activation: activation, group: nil)
        let groups = ThreadedProcessGroup.ranks(rows.count)
        let starts = rows.indices.map { rows[..<$0].reduce(0, +) }
        let device = try TestDevice.shared.get()
        let contexts = try rows.map { _ in try Context(device: device) }
        let results = Results(count: rows.count), done = DispatchGroup()
        for rank in rows.indices {
            done.enter()
            Thread {
                let range = starts[rank] * plane..<(starts[rank] + rows[rank]) * plane
                let share = Float(rows[rank]) / Float(n)
                let result = Result {
                    try Self.step(context: contexts[rank], x: Array(x[range]), upstream: upstream[range].map { $0 / share },
                                  shape: [rows[rank], c, h, w], gamma: gamma, beta: beta, running: (runningMean, runningVariance),
                                  activation: activation, group: groups[rank])
                }
                results.set(rank, result)
                done.leave()
            }.start()
        }
        done.wait()
        let ranks = try results.all.map { try XCTUnwrap($0).get() }
        let label = "rows \(rows), [\(c), \(h), \(w)], \(activation)"
        assertClose(ranks.flatMap(\.y), whole.y, "y, \(label)")
        let shares = rows.map { Float($0) / Float(n) }
        assertClose(zip(ranks, shares).flatMap { rank, share in rank.dx.map { $0 * share } }, whole.dx, "dx, \(label)")
        for (name, path) in [("dweight", \Step.dWeight), ("dbias", \Step.dBias)] {
            let summed = (0..<c).map { channel in zip(ranks, shares).reduce(Float(0)) { $0 + $1.1 * $1.0[keyPath: path][channel] } }
            assertClose(summed, whole[keyPath: path], "\(name), \(label)")
        }
        for rank in ranks {
            assertClose(rank.runningMean, whole.runningMean, "running mean, \(label)")
            assertClose(rank.runningVariance, whole.runningVariance, "running variance, \(label)")
        }
    }

    private struct Step {
        var y, dx, dWeight, dBias, runningMean, runningVariance: [Float]
    }

    /// Each rank thread's outcome.
    private final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Result<Step, Error>?]

        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ rank: Int, _ result: Result<Step, Error>) { lock.withLock { values[rank] = result } }
        var all: [Result<Step, Error>?] { lock.withLock { values } }
    }

    /// One training forward and backward of `Σ batchNorm(x) ⊙ upstream`.
    private static func step(context: Context, x: [Float], upstream: [Float], shape: [Int], gamma: [Float], beta: [Float],
                             running: ([Float], [Float]), activation: Tensor.Activation, group: (any ProcessGroup)?) throws -> Step {
        let c = shape[1]
        let input = try Tensor(x, shape: shape, context: context, requiresGrad: true)
        let weight = try Tensor(gamma, shape: [c], context: context, requiresGrad: true)
        let bias = try Tensor(beta, shape: [c], context: context, requiresGrad: true)
        let mean = try Tensor(running.0, shape: [c], context: context), variance = try Tensor(running.1, shape: [c], context: context)
        let y = try input.batchNorm(weight: weight, bias: bias, runningMean: mean, runningVariance: variance, training: true,
                                    activation: activation, synchronizedOver: group)
        try (y * Tensor(upstream, shape: shape, context: context)).sum().backward()
        return Step(y: try y.toArray(), dx: try XCTUnwrap(input.grad).toArray(), dWeight: try XCTUnwrap(weight.grad).toArray(),
                    dBias: try XCTUnwrap(bias.grad).toArray(), runningMean: try mean.toArray(), runningVariance: try variance.toArray())
    }

    /// Float agreement of values computed in different orders: |a − b| ≤ 2e-5·(1 + |b|).
    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        for (index, (a, b)) in zip(actual, expected).enumerated() where abs(a - b) > 2e-5 * (1 + abs(b)) {
            XCTFail("\(what)[\(index)]: \(a) vs one process's \(b)", file: file, line: line)
            return
        }
    }
}

/// Ranks of one job as threads of this process: every collective is a rendezvous of all of them.
private final class ThreadedProcessGroup: ProcessGroup, @unchecked Sendable {
    /// The state all ranks share: the values of the collective in progress.
    private final class Rendezvous: @unchecked Sendable {
        let size: Int
        let condition = NSCondition()
        var deposits: [Any?]
        var taken = 0
        var generation = 0
        var published: [Any] = []

        init(size: Int) {
            self.size = size
            deposits = Array(repeating: nil, count: size)
        }

        /// Every rank's `value`, in rank order, once all ranks have called it.
        func exchange(_ value: Any, rank: Int) -> [Any] {
            condition.lock()
            defer { condition.unlock() }
            while taken > 0 { condition.wait() }   // the previous collective's results are still being taken
            let generation = self.generation
            deposits[rank] = value
            if deposits.allSatisfy({ $0 != nil }) {
                published = deposits.map { $0! }
                deposits = Array(repeating: nil, count: size)
                self.generation += 1
                condition.broadcast()
            }
            while self.generation == generation { condition.wait() }
            let result = published
            taken += 1
            if taken == size {
                taken = 0
                condition.broadcast()
            }
            return result
        }
    }

    let rank: Int, size: Int
    var localRank: Int { rank }
    var localSize: Int { size }
    private let rendezvous: Rendezvous

    private init(rank: Int, rendezvous: Rendezvous) {
        (self.rank, self.size, self.rendezvous) = (rank, rendezvous.size, rendezvous)
    }

    static func ranks(_ size: Int) -> [ThreadedProcessGroup] {
        let rendezvous = Rendezvous(size: size)
        return (0..<size).map { ThreadedProcessGroup(rank: $0, rendezvous: rendezvous) }
    }

    private func reduced<T: Comparable>(_ values: [T], _ operation: ReduceOperation, sum: (T, T) -> T) -> [T] {
        let all = rendezvous.exchange(values, rank: rank).map { $0 as! [T] }
        return values.indices.map { index in
            let column = all.map { $0[index] }
            switch operation {
            case .sum: return column.dropFirst().reduce(column[0], sum)
            case .min: return column.min()!
            case .max: return column.max()!
            }
        }
    }

    func allReduce(_ values: inout [Float], _ operation: ReduceOperation) throws(ProcessGroupError) {
        values = reduced(values, operation, sum: +)
    }
    func allReduce(_ values: inout [Double], _ operation: ReduceOperation) throws(ProcessGroupError) {
        values = reduced(values, operation, sum: +)
    }
    func allReduce(_ values: inout [Int64], _ operation: ReduceOperation) throws(ProcessGroupError) {
        values = reduced(values, operation, sum: +)
    }
    func broadcast(_ bytes: inout [UInt8], from root: Int) throws(ProcessGroupError) {
        bytes = rendezvous.exchange(bytes, rank: rank)[root] as! [UInt8]
    }
    func allGather(_ values: [Float]) throws(ProcessGroupError) -> [[Float]] {
        rendezvous.exchange(values, rank: rank).map { $0 as! [Float] }
    }
    func barrier() throws(ProcessGroupError) { _ = rendezvous.exchange(0, rank: rank) }
    func abort(code: Int32) -> Never { fatalError("rank \(rank) aborted the test job with code \(code)") }
}

/// A group of two whose every collective fails.
private final class FailingProcessGroup: ProcessGroup {
    static let failure = ProcessGroupError.callFailed(function: "MPI_Allreduce", code: 15)
    var rank: Int { 0 }
    var size: Int { 2 }
    var localRank: Int { 0 }
    var localSize: Int { 2 }
    func allReduce(_ values: inout [Float], _ operation: ReduceOperation) throws(ProcessGroupError) { throw Self.failure }
    func allReduce(_ values: inout [Double], _ operation: ReduceOperation) throws(ProcessGroupError) { throw Self.failure }
    func allReduce(_ values: inout [Int64], _ operation: ReduceOperation) throws(ProcessGroupError) { throw Self.failure }
    func broadcast(_ bytes: inout [UInt8], from root: Int) throws(ProcessGroupError) { throw Self.failure }
    func allGather(_ values: [Float]) throws(ProcessGroupError) -> [[Float]] { throw Self.failure }
    func barrier() throws(ProcessGroupError) { throw Self.failure }
    func abort(code: Int32) -> Never { fatalError("aborted with code \(code)") }
}
