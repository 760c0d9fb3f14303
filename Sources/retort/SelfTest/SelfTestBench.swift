import Foundation
import Retort
import RetortCompute
import RetortOracle

/// What the self-test cases run on: the device, one command stream (which records every kernel it
/// dispatches, for the coverage check) and the seeded generator of their inputs.
final class SelfTestBench {
    let device: Device
    private(set) var stream: CommandStream
    /// Kernels dispatched by the streams replaced after a failed case.
    private var retiredKernelNames: Set<String> = []
    private var random: SplitMix64
    /// Judge results by ``maxScaledError(_:_:)`` instead of ``maxRelativeError(_:_:)`` (the current case's measure).
    var measure = SelfTestCase.Measure.element
    /// Seconds spent running recorded work on the device since the last reset (the table's time).
    var deviceSeconds = 0.0

    init(device: Device, seed: UInt64) throws {
        self.device = device
        stream = try device.makeStream()
        random = SplitMix64(seed: seed)
    }

    /// The names of every kernel the cases dispatched, on this stream and the ones before it.
    var dispatchedKernelNames: Set<String> { retiredKernelNames.union(stream.dispatchedKernelNames) }

    /// A fresh stream after a case threw, so that what it left recorded (or a failed submit) does not
    /// run with the next case.
    func replaceStream() throws {
        retiredKernelNames.formUnion(stream.dispatchedKernelNames)
        stream = try device.makeStream()
    }

    /// `count` uniform values in `range`.
    func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] { random.floats(count, in: range) }

    /// `count` distinct values in [-1, 1), shuffled: max pooling and top-k have no ties to break.
    func distinctFloats(_ count: Int) -> [Float] {
        (0..<count).map { Float(2 * $0) / Float(count) - 1 }.shuffled(using: &random)
    }

    /// `count` labels in `0..<classes`.
    func labels(_ count: Int, classes: Int) -> [Int32] {
        (0..<count).map { _ in Int32.random(in: 0..<Int32(classes), using: &random) }
    }

    /// A device buffer holding `values`.
    func buffer<T: BitwiseCopyable>(_ values: [T]) throws -> Buffer { try device.makeBuffer(values) }

    /// A buffer of `count` floats filled with NaN, so an element the kernel does not write fails the case.
    func output(_ count: Int) throws -> Buffer { try device.makeBuffer([Float](repeating: .nan, count: max(count, 1))) }

    /// The first `count` floats of `buffer`.
    func read(_ buffer: Buffer, _ count: Int) throws -> [Float] { try buffer.read(Float.self, count: count) }

    /// Submits what was recorded and waits for it, adding the time to ``deviceSeconds``.
    func run() throws {
        let start = Date()
        try stream.run()
        deviceSeconds += Date().timeIntervalSince(start)
    }

    /// Runs what was recorded, then the largest error of `outputs` against their oracle values (by the case's measure).
    func compare(_ outputs: [(Buffer, [Double])]) throws -> Double {
        try run()
        return try outputs.reduce(0) { worst, output in
            let values = try read(output.0, output.1.count)
            return max(worst, measure == .scale ? maxScaledError(values, output.1) : maxRelativeError(values, output.1))
        }
    }
}
