import XCTest
import RetortCompute
import RetortTestSupport

/// The device buffers of an optimizer test over many tensors: each tensor's parameters, gradients
/// and state buffers (momentum, or the two moments).
struct OptimizerBuffers {
    let parameters, gradients: [Buffer]
    /// `states[s][i]`: state buffer `s` of tensor `i`.
    let states: [[Buffer]]

    /// Tensors starting at `initial`, with `states` state buffers each filled with `state`.
    init(_ device: Device, initial: [[Float]], states: Int, filledWith state: Float) throws {
        parameters = try initial.map { try device.makeBuffer($0) }
        gradients = try initial.map { try device.makeBuffer(byteCount: $0.count * 4) }
        self.states = try (0..<states).map { _ in try initial.map { try device.makeBuffer([Float](repeating: state, count: $0.count)) } }
    }

    /// Elements of tensor `index`.
    func count(_ index: Int) -> Int { parameters[index].byteCount / 4 }

    /// The raw bits of every parameter and state buffer, by tensor.
    func bits() throws -> [[UInt32]] {
        try ([parameters] + states).flatMap { try $0.map { try $0.read(UInt32.self) } }
    }
}

/// What a multi-tensor optimizer test runs: tensors of odd and even sizes (one element, scalar tails,
/// several workgroups), more than one dispatch takes, some of which miss the first round's gradient.
struct MultiTensorOptimizerRun {
    static let counts = [1, 3, 1000, 65_537, 4, 7, 12, 33, 2, 640, 5, 9, 8, 1, 4099]
    static let rounds = 3

    /// Whether tensor `index` gets a gradient in `round` (from 1): every third one misses the first.
    static func isActive(_ index: Int, round: Int) -> Bool { round > 1 || index % 3 != 0 }

    let states: Int
    let fill: Float

    /// Runs `rounds` rounds twice from the same values and gradients: `record(stream, buffers, active, true)` records the
    /// multi-tensor step of the tensors `active` on one set of buffers, `record(…, false)` the per-tensor steps on the other.
    /// After each round, `check(round, buffers, gradients)` sees the multi-tensor set and the round's gradients by tensor;
    /// at the end both sets must hold the same bits.
    func run(_ device: Device, seed: UInt64, label: String,
             record: (_ stream: CommandStream, _ buffers: OptimizerBuffers, _ active: [Int], _ multiTensor: Bool) throws -> Void,
             check: (_ round: Int, _ buffers: OptimizerBuffers, _ gradients: [Int: [Float]]) throws -> Void) throws {
        var random = TestRandom(seed: seed)
        let initial = Self.counts.map { random.floats($0) }
        let multi = try OptimizerBuffers(device, initial: initial, states: states, filledWith: fill)
        let single = try OptimizerBuffers(device, initial: initial, states: states, filledWith: fill)
        let stream = try device.makeStream()
        for round in 1...Self.rounds {
            let active = Self.counts.indices.filter { Self.isActive($0, round: round) }
            var gradients: [Int: [Float]] = [:]
            for index in active {
                gradients[index] = random.floats(Self.counts[index], in: -2...2).map { $0 * Float(round) * 0.5 }
                try multi.gradients[index].write(gradients[index]!)
                try single.gradients[index].write(gradients[index]!)
            }
            try record(stream, multi, active, true)
            try record(stream, single, active, false)
            try stream.run()
            try check(round, multi, gradients)
        }
        XCTAssertEqual(try multi.bits(), try single.bits(), "\(label): the multi-tensor and per-tensor kernels differ")
    }
}
