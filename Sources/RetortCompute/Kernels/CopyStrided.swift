/// Strided copies between fp32 buffers (`copy_strided.comp`): the data movement behind slices,
/// concatenation and channel shuffles of NCHW tensors. Each copy is one dispatch.
///
/// A copy walks an index space of up to four axes and moves the element at
/// `source.offset + Σ index[d] · source.strides[d]` to `destination.offset + Σ index[d] · destination.strides[d]`
/// (offsets and strides in elements). Destination elements outside the map keep their values, so
/// several copies can fill disjoint windows of one output (concatenation). The destination map must be
/// one-to-one: every written element then has exactly one writer and the result is deterministic.
///
/// ```swift
/// let copy = try StridedCopy(device: device)
/// // channels 2..<5 of x: [4, 8, 6, 6] into y: [4, 3, 6, 6]
/// try copy.encodeSlice(into: stream, input: x, output: y, outer: 4, axis: 8, inner: 36, range: 2..<5)
/// ```
public struct CopyStridedLauncher: Sendable {

    /// The push constants of `copy_strided.comp`: a 4-D index space, the shapes padded with leading 1s.
    ///
    /// - `count`: elements copied
    /// - `size1`: size of index axis 1 (axis 0 is implied by the count)
    /// - `size2`: size of index axis 2 (axis 0 is implied by the count)
    /// - `size3`: size of index axis 3 (axis 0 is implied by the count)
    /// - `magic1`: division by `size1`: magic number
    /// - `shift1`: division by `size1`: shift
    /// - `magic2`: division by `size2`: magic number
    /// - `shift2`: division by `size2`: shift
    /// - `magic3`: division by `size3`: magic number
    /// - `shift3`: division by `size3`: shift
    /// - `srcOffset`: source offset in floats
    /// - `srcStride0`: source stride of axis 0 in floats
    /// - `srcStride1`: source stride of axis 1 in floats
    /// - `srcStride2`: source stride of axis 2 in floats
    /// - `srcStride3`: source stride of axis 3 in floats
    /// - `dstOffset`: destination offset in floats
    /// - `dstStride0`: destination stride of axis 0 in floats
    /// - `dstStride1`: destination stride of axis 1 in floats
    /// - `dstStride2`: destination stride of axis 2 in floats
    /// - `dstStride3`: destination stride of axis 3 in floats
    public struct Push: PushConstants {
        public static let count = 20
        public var count, size1, size2, size3: Int
        public var magic1, shift1, magic2, shift2, magic3, shift3: UInt32
        public var srcOffset, srcStride0, srcStride1, srcStride2, srcStride3, dstOffset, dstStride0, dstStride1, dstStride2, dstStride3: Int

        public var values: [ShaderValue] {
            [.count(count), .count(size1), .count(size2), .count(size3), .uint(magic1), .uint(shift1), .uint(magic2), .uint(shift2),
             .uint(magic3), .uint(shift3), .count(srcOffset), .count(srcStride0), .count(srcStride1), .count(srcStride2),
             .count(srcStride3), .count(dstOffset), .count(dstStride0), .count(dstStride1), .count(dstStride2), .count(dstStride3)]
        }
    }
    /// Where the elements of a copy's index space live in a buffer: element `index` of the index
    /// space is at `offset + Σ index[d] · strides[d]`.
    public struct Layout: Sendable, Hashable, CustomStringConvertible {
        public var offset: Int
        public var strides: [Int]

        public init(offset: Int = 0, strides: [Int]) {
            self.offset = offset
            self.strides = strides
        }

        /// The dense row-major layout of `shape`, starting at `offset`.
        public static func dense(_ shape: [Int], offset: Int = 0) -> Layout {
            var strides = [Int](repeating: 1, count: shape.count)
            for axis in shape.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
            return Layout(offset: offset, strides: strides)
        }

        public var description: String { "offset \(offset), strides \(strides)" }

        /// One past the largest element index the layout reaches over `shape`.
        func extent(_ shape: [Int]) -> Int {
            zip(shape, strides).reduce(offset + 1) { $0 + ($1.0 - 1) * $1.1 }
        }

        /// Whether distinct indices of `shape` always land on distinct elements: sorted by stride,
        /// every axis must step past everything the smaller-stride axes reach (sufficient, and exact
        /// for the permutations and windows the ops use).
        func isOneToOne(_ shape: [Int]) -> Bool {
            var reach = 1
            for (size, stride) in zip(shape, strides).filter({ $0.0 > 1 }).sorted(by: { $0.1 < $1.1 }) {
                guard stride >= reach else { return false }
                reach += (size - 1) * stride
            }
            return true
        }
    }

    public let device: Device
    private static let localSize: UInt32 = 64
    /// Axes of the kernel's index space.
    public static let maxAxes = 4

    /// Prepares the launcher; the kernel is built (and cached by `device`) on first use.
    public init(device: Device) throws {
        self.device = device
    }

    /// Copies the index space `shape` (1 to 4 axes) from `source` laid out as `sourceLayout` to
    /// `destination` laid out as `destinationLayout`. The two buffers must differ.
    public func encode(into stream: CommandStream, shape: [Int], source: Buffer, _ sourceLayout: Layout,
                       destination: Buffer, _ destinationLayout: Layout) throws {
        let name = "strided copy of \(shape) (\(sourceLayout) → \(destinationLayout))"
        guard shape.count <= Self.maxAxes else {
            throw VulkanError.invalidArgument("\(name): at most \(Self.maxAxes) axes are supported.")
        }
        let count = try ElementwiseLauncher.elementCount(name, shape)
        for (role, layout, buffer) in [("source", sourceLayout, source), ("destination", destinationLayout, destination)] {
            guard layout.strides.count == shape.count, layout.offset >= 0, layout.strides.allSatisfy({ $0 >= 0 }) else {
                throw VulkanError.invalidArgument("\(name): the \(role) layout needs one non-negative stride per axis and a non-negative offset.")
            }
            let extent = layout.extent(shape)
            guard extent <= Int(Int32.max) else {
                throw VulkanError.invalidArgument("\(name): the \(role) reaches element \(extent - 1), beyond 32-bit indexing.")
            }
            try ElementwiseLauncher.require(name, [(role, buffer, extent)])
        }
        guard destinationLayout.isOneToOne(shape) else {
            throw VulkanError.invalidArgument("\(name): the destination layout maps several indices to one element.")
        }
        guard source !== destination else {
            throw VulkanError.invalidArgument("\(name): the source and the destination must be different buffers.")
        }
        // Pad to four axes in front (size 1, stride 0).
        let pad = Self.maxAxes - shape.count
        let sizes = [Int](repeating: 1, count: pad) + shape
        let sourceStrides = [Int](repeating: 0, count: pad) + sourceLayout.strides
        let destinationStrides = [Int](repeating: 0, count: pad) + destinationLayout.strides
        let by1 = ElementwiseLauncher.divisionMagic(sizes[1]), by2 = ElementwiseLauncher.divisionMagic(sizes[2])
        let by3 = ElementwiseLauncher.divisionMagic(sizes[3])
        let kernel = try device.kernel(.copyStrided, bindings: [.texel(.r32f), .storage(.write)], pushConstants: Push.self,
                                       localSize: [Self.localSize])
        let push = Push(count: count, size1: sizes[1], size2: sizes[2], size3: sizes[3], magic1: by1.magic, shift1: by1.shift,
                        magic2: by2.magic, shift2: by2.shift, magic3: by3.magic, shift3: by3.shift,
                        srcOffset: sourceLayout.offset, srcStride0: sourceStrides[0], srcStride1: sourceStrides[1],
                        srcStride2: sourceStrides[2], srcStride3: sourceStrides[3],
                        dstOffset: destinationLayout.offset, dstStride0: destinationStrides[0], dstStride1: destinationStrides[1],
                        dstStride2: destinationStrides[2], dstStride3: destinationStrides[3])
        try stream.dispatch(kernel, [source, destination], push: push,
                            groups: ElementwiseLauncher.groups(units: count, localSize: Self.localSize))
    }

    /// Gathers a window of one axis: `input` viewed as `[outer, axis, inner]` → `output`:
    /// `[outer, range.count, inner]` holding `input[:, range, :]` (a channel slice of NCHW when
    /// `outer` = N and `inner` = H·W).
    public func encodeSlice(into stream: CommandStream, input: Buffer, output: Buffer, outer: Int, axis: Int, inner: Int,
                            range: Range<Int>) throws {
        guard range.lowerBound >= 0, range.upperBound <= axis, !range.isEmpty else {
            throw VulkanError.invalidArgument("slice \(range) of an axis of \(axis) ([\(outer), \(axis), \(inner)]): the range must be non-empty and inside the axis.")
        }
        let shape = [outer, range.count, inner]
        try encode(into: stream, shape: shape, source: input, Layout(offset: range.lowerBound * inner, strides: [axis * inner, inner, 1]),
                   destination: output, .dense(shape))
    }

    /// Scatters `input`: `[outer, count, inner]` into the window `[offset, offset + count)` of one
    /// axis of `output` viewed as `[outer, axis, inner]`; the rest of `output` is left as it is (the
    /// inverse of ``encodeSlice(into:input:output:outer:axis:inner:range:)``, and one input of a
    /// concatenation).
    public func encodeInsert(into stream: CommandStream, input: Buffer, output: Buffer, outer: Int, axis: Int, inner: Int,
                             at offset: Int, count: Int) throws {
        guard offset >= 0, count > 0, offset + count <= axis else {
            throw VulkanError.invalidArgument("insert of \(count) at \(offset) into an axis of \(axis) ([\(outer), \(axis), \(inner)]): the window must be non-empty and inside the axis.")
        }
        let shape = [outer, count, inner]
        try encode(into: stream, shape: shape, source: input, .dense(shape),
                   destination: output, Layout(offset: offset * inner, strides: [axis * inner, inner, 1]))
    }

    /// ShuffleNet's channel shuffle: `input`: `[N, C, S]` viewed as `[N, groups, C / groups, S]`,
    /// the two middle axes swapped, into `output`: `[N, C, S]`; output channel `j · groups + i` is input
    /// channel `i · (C / groups) + j`. Shuffling with `C / groups` groups undoes it (the backward).
    public func encodeChannelShuffle(into stream: CommandStream, input: Buffer, output: Buffer, batch: Int, channels: Int,
                                     spatial: Int, groups: Int) throws {
        guard groups > 0, channels % groups == 0 else {
            throw VulkanError.invalidArgument("channel shuffle of [\(batch), \(channels), \(spatial)]: \(groups) groups do not divide \(channels) channels.")
        }
        let perGroup = channels / groups
        let shape = [batch, perGroup, groups, spatial]
        try encode(into: stream, shape: shape, source: input, Layout(strides: [channels * spatial, spatial, perGroup * spatial, 1]),
                   destination: output, .dense(shape))
    }
}
