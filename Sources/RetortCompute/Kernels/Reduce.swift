// Sums and means over axes.
//   input viewed as [outer, reduced, inner]; output: [outer, inner]

/// Deterministic reductions on fp32 tensors: sums and means over axes (`reduce.comp`). Argmax and
/// top-k counting are ``TopKLauncher``.
///
/// Every reduction adds in a fixed order (no atomics), so the same inputs on the same device give
/// the same bits. Large reductions with few outputs run in two passes: partial sums over fixed
/// chunks into a scratch buffer, then a fixed-order sum of the partials. Scratch buffers are
/// allocated from the device when needed and live until the stream has run.
public struct ReduceLauncher: Sendable {

    /// The specialization constants of `reduce.comp`.
    public struct Specialization: SpecializationConstants {
        /// constant_id 3: `VEC`: 0 scalar reads, 1 vec4 reads along the reduced axis, 2 along the inner axis.
        public var vec: UInt32

        public var values: [ShaderValue] { [.uint(vec)] }
    }

    /// The push constants of `reduce.comp`: the input viewed as `[outer, reduce, inner]`.
    ///
    /// - `outer`: rows before the reduced axis
    /// - `reduce`: length of the reduced axis
    /// - `inner`: elements after it
    /// - `chunk`: reduced elements per partial sum
    /// - `chunks`: partial sums per output
    /// - `divisor`: the sum is divided by this (1, or the count for a mean)
    /// - `accumulate`: add to the output instead of replacing it
    public struct Push: PushConstants {
        public static let count = 7
        public var outer, reduce, inner, chunk, chunks: Int
        public var divisor: Float
        public var accumulate: Bool

        public var values: [ShaderValue] {
            [.count(outer), .count(reduce), .count(inner), .count(chunk), .count(chunks), .float(divisor), .bool(accumulate)]
        }
    }
    /// A tensor viewed as `[outer, reduced, inner]`, summed over the middle axis to `[outer, inner]`.
    public struct AxisView: Sendable, Hashable {
        public var outer: Int
        public var reduced: Int
        public var inner: Int

        public init(outer: Int, reduced: Int, inner: Int) {
            self.outer = outer
            self.reduced = reduced
            self.inner = inner
        }

        /// Reduces the contiguous `axes` of a row-major `shape`, e.g. `[N, C, H, W]` over `2..<4`
        /// (H and W) gives `[N, C]`.
        public init(shape: [Int], axes: Range<Int>) throws {
            guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), !axes.isEmpty, axes.lowerBound >= 0, axes.upperBound <= shape.count else {
                throw VulkanError.invalidArgument("Reduction: axes \(axes) do not fit shape \(shape).")
            }
            self.init(outer: shape[..<axes.lowerBound].reduce(1, *), reduced: shape[axes].reduce(1, *),
                      inner: shape[axes.upperBound...].reduce(1, *))
        }

        /// Reduces one `axis` of a row-major `shape`.
        public init(shape: [Int], axis: Int) throws {
            try self.init(shape: shape, axes: axis..<(axis + 1))
        }

        var description: String { "[\(outer), \(reduced), \(inner)]" }
    }

    public let device: Device
    private static let localSize: UInt32 = 64
    /// Below this many outputs, a long reduction is split into chunks (two passes) for parallelism.
    private static let fewOutputs = 256
    /// Reductions longer than this are split when they have few outputs.
    private static let longReduction = 4096

    /// Prepares the launcher; kernels are built (and cached by `device`) on first use.
    public init(device: Device) throws {
        self.device = device
    }

    // MARK: Sums and means

    /// `output[o, i] = Σ_r input[o, r, i]` (divided by `reduced` when `mean`), for `input` viewed as `view`.
    /// With `accumulate`, the result is added to `output` instead of replacing it.
    public func encodeSum(into stream: CommandStream, input: Buffer, output: Buffer, view: AxisView, mean: Bool = false,
                          accumulate: Bool = false) throws {
        try validate("sum", view)
        try Self.requireDistinct("sum \(view.description)", input, output)
        try ElementwiseLauncher.require("sum \(view.description)", [("input", input, view.outer * view.reduced * view.inner),
                                                             ("output", output, view.outer * view.inner)])
        try encodeAxisSum(into: stream, input: input, output: output, view: view, divisor: mean ? Float(view.reduced) : 1,
                          accumulate: accumulate)
    }

    /// Sums `input` of `shape` over every axis except `axis`: `output` is `[shape[axis]]`. The
    /// per-channel bias gradient is `axis: 1` of `[N, C, H, W]` (two dispatches: over H·W, then N).
    public func encodeSum(into stream: CommandStream, input: Buffer, output: Buffer, shape: [Int], keeping axis: Int,
                          mean: Bool = false, accumulate: Bool = false) throws {
        let count = try ElementwiseLauncher.elementCount("sum keeping axis \(axis)", shape)
        guard shape.indices.contains(axis) else {
            throw VulkanError.invalidArgument("sum keeping axis \(axis): shape \(shape) has no such axis.")
        }
        let outer = shape[..<axis].reduce(1, *), kept = shape[axis], inner = count / (outer * kept)
        try ElementwiseLauncher.require("sum of \(shape) keeping axis \(axis)", [("input", input, count), ("output", output, kept)])
        try Self.requireDistinct("sum of \(shape) keeping axis \(axis)", input, output)
        let divisor = mean ? Float(outer * inner) : 1
        if inner == 1 || outer == 1 {
            let view = inner == 1 ? AxisView(outer: 1, reduced: outer, inner: kept) : AxisView(outer: kept, reduced: inner, inner: 1)
            return try encodeAxisSum(into: stream, input: input, output: output, view: view, divisor: divisor, accumulate: accumulate)
        }
        let rows = try device.makeBuffer(byteCount: outer * kept * 4)
        try encodeAxisSum(into: stream, input: input, output: rows, view: AxisView(outer: outer * kept, reduced: inner, inner: 1),
                          divisor: 1, accumulate: false)
        try encodeAxisSum(into: stream, input: rows, output: output, view: AxisView(outer: 1, reduced: outer, inner: kept),
                          divisor: divisor, accumulate: accumulate)
    }

    /// Sums a full gradient of `shape` back to the shape of an operand that was broadcast over it
    /// (see ``ElementwiseLauncher/Broadcast``): the backward of a broadcasting add, subtract or multiply.
    public func encodeSum(into stream: CommandStream, input: Buffer, output: Buffer, shape: [Int],
                          to broadcast: ElementwiseLauncher.Broadcast, accumulate: Bool = false) throws {
        let count = try ElementwiseLauncher.elementCount("sum to \(broadcast)", shape)
        switch broadcast {
        case .full:
            try encodeSum(into: stream, input: input, output: output, view: AxisView(outer: 1, reduced: 1, inner: count),
                          accumulate: accumulate)
        case .channel:
            guard shape.count >= 2 else {
                throw VulkanError.invalidArgument("sum to channel: shape \(shape) has no channel axis.")
            }
            try encodeSum(into: stream, input: input, output: output, shape: shape, keeping: 1, accumulate: accumulate)
        case .sample:
            try encodeSum(into: stream, input: input, output: output, shape: shape, keeping: 0, accumulate: accumulate)
        case .scalar:
            try encodeTotal(into: stream, input: input, output: output, count: count, accumulate: accumulate)
        }
    }

    /// `output[0] = Σ input[0..<count]` (divided by `count` when `mean`) in two passes: fixed chunks
    /// summed into partials, then the partials summed in order. Training reports its mean loss this way.
    public func encodeTotal(into stream: CommandStream, input: Buffer, output: Buffer, count: Int, mean: Bool = false,
                            accumulate: Bool = false) throws {
        _ = try ElementwiseLauncher.elementCount("total", [count])
        try ElementwiseLauncher.require("total of \(count) values", [("input", input, count), ("output", output, 1)])
        try Self.requireDistinct("total of \(count) values", input, output)
        try encodeAxisSum(into: stream, input: input, output: output, view: AxisView(outer: 1, reduced: count, inner: 1),
                          divisor: mean ? Float(count) : 1, accumulate: accumulate, alwaysSplit: count > 1)
    }

    /// Reductions read their inputs while other invocations write results: they cannot run in place.
    static func requireDistinct(_ context: String, _ input: Buffer, _ output: Buffer) throws {
        guard input !== output else { throw VulkanError.invalidArgument("\(context): the output buffer cannot be an input.") }
    }

    private func validate(_ name: String, _ view: AxisView) throws {
        guard view.outer > 0, view.reduced > 0, view.inner > 0 else {
            throw VulkanError.invalidArgument("\(name): view \(view.description) needs positive sizes.")
        }
        let (count, overflow) = view.outer.multipliedReportingOverflow(by: view.reduced)
        guard !overflow, !count.multipliedReportingOverflow(by: view.inner).overflow, count * view.inner <= Int(Int32.max) else {
            throw VulkanError.invalidArgument("\(name): view \(view.description) has more elements than 32-bit indexing allows.")
        }
    }

    /// One pass when there are enough outputs to go round, else chunked partials then their sum.
    private func encodeAxisSum(into stream: CommandStream, input: Buffer, output: Buffer, view: AxisView, divisor: Float,
                               accumulate: Bool, alwaysSplit: Bool = false) throws {
        let outputs = view.outer * view.inner
        guard alwaysSplit || (outputs < Self.fewOutputs && view.reduced > Self.longReduction) else {
            return try encodePass(into: stream, input: input, output: output, view: view, chunk: view.reduced, divisor: divisor,
                                  accumulate: accumulate)
        }
        // About 512 partials in all, each a multiple of 4 long (vector reads), at least 64 long.
        let wanted = max(1, 512 / outputs)
        var chunk = max(64, (view.reduced + wanted - 1) / wanted)
        chunk = (chunk + 3) / 4 * 4
        let chunks = (view.reduced + chunk - 1) / chunk
        guard chunks > 1 else {
            return try encodePass(into: stream, input: input, output: output, view: view, chunk: view.reduced, divisor: divisor,
                                  accumulate: accumulate)
        }
        let partials = try device.makeBuffer(byteCount: outputs * chunks * 4)
        try encodePass(into: stream, input: input, output: partials, view: view, chunk: chunk, divisor: 1, accumulate: false)
        try encodePass(into: stream, input: partials, output: output, view: AxisView(outer: view.outer, reduced: chunks, inner: view.inner),
                       chunk: chunks, divisor: divisor, accumulate: accumulate)
    }

    private func encodePass(into stream: CommandStream, input: Buffer, output: Buffer, view: AxisView, chunk: Int, divisor: Float,
                            accumulate: Bool) throws {
        let chunks = (view.reduced + chunk - 1) / chunk
        // 1: vec4 reads along the reduced axis; 2: along the inner axis (4 outputs per invocation).
        let vec: UInt32 = view.inner == 1 && view.reduced % 4 == 0 && chunk % 4 == 0 ? 1 : (view.inner % 4 == 0 ? 2 : 0)
        let kernel = try device.kernel(.reduce, bindings: [.texel(vec == 0 ? .r32f : .rgba32f), .storage(.readWrite)],
                                       pushConstants: Push.self,
                                       localSize: [Self.localSize], constants: Specialization(vec: vec))
        let units = view.outer * chunks * (vec == 2 ? view.inner / 4 : view.inner)
        let groups = max(1, min((units + Int(Self.localSize) - 1) / Int(Self.localSize), ElementwiseLauncher.maxGroups))
        try stream.dispatch(kernel, [input, output],
                            push: Push(outer: view.outer, reduce: view.reduced, inner: view.inner, chunk: chunk, chunks: chunks,
                                       divisor: divisor, accumulate: accumulate),
                            groups: (groups, 1, 1))
    }
}
