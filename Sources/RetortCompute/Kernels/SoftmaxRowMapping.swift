/// How the kernels of the softmax family (``Softmax``, ``SoftmaxKL``, ``CrossEntropy``) map the rows
/// of a row-major `[rows, columns]` matrix onto invocations.
///
/// Both mappings reduce every row in a fixed order, so the same inputs give the same bits on a given
/// device; they agree with each other to rounding and differ only in speed.
public enum SoftmaxRowMapping: Sendable, Hashable {
    /// One invocation per row, looping over the row serially; `rowsPerWorkgroup` rows per workgroup.
    /// No shared memory and no barriers: the fast layout on lavapipe, where an invocation is a SIMD
    /// lane and barriers are coroutine switches.
    case invocationPerRow(rowsPerWorkgroup: Int)
    /// One workgroup of `lanes` invocations per row, each taking every `lanes`-th column; partial
    /// results combine with subgroup operations and then across subgroups with one barrier per
    /// reduction. The layout for GPUs (coalesced loads). Works for any subgroup size.
    case workgroupPerRow(lanes: Int)

    /// The mapping expected to be fastest on `device`.
    public static func preferred(for device: Device) -> SoftmaxRowMapping {
        device.info.isLavapipe ? .invocationPerRow(rowsPerWorkgroup: 16) : .workgroupPerRow(lanes: 128)
    }

    /// The workgroup size the shaders read (x: invocations per row, y: rows per workgroup).
    var localSize: [UInt32] {
        switch self {
        case .invocationPerRow(let rows): return [1, UInt32(clamping: rows), 1]
        case .workgroupPerRow(let lanes): return [UInt32(clamping: lanes), 1, 1]
        }
    }

    var rowsPerWorkgroup: Int {
        switch self {
        case .invocationPerRow(let rows): return rows
        case .workgroupPerRow: return 1
        }
    }

    /// Throws unless the mapping describes a usable workgroup (the device checks its own limits when
    /// the kernel is built).
    func validate() throws {
        switch self {
        case .invocationPerRow(let rows) where rows < 1 || rows > 1024:
            throw VulkanError.invalidArgument("SoftmaxRowMapping.invocationPerRow needs 1...1024 rows per workgroup, got \(rows).")
        case .workgroupPerRow(let lanes) where lanes < 1 || lanes > 1024:
            throw VulkanError.invalidArgument("SoftmaxRowMapping.workgroupPerRow needs 1...1024 lanes, got \(lanes).")
        default:
            return
        }
    }

    /// Workgroup counts covering `rows` rows. Beyond 65535 workgroups (the smallest limit Vulkan
    /// allows) the rows spill into the y dimension; the shaders skip the rows past the end.
    func groups(rows: Int) -> (Int, Int, Int) {
        let needed = (rows + rowsPerWorkgroup - 1) / rowsPerWorkgroup
        let widest = 65_535
        return needed <= widest ? (needed, 1, 1) : (widest, (needed + widest - 1) / widest, 1)
    }
}

/// Shape and buffer-size checks shared by the softmax-family launchers.
enum SoftmaxShape {
    /// Throws unless `rows × columns` is a non-empty matrix the shaders can index (32-bit texel
    /// indices) and every buffer holds at least `rows × perRow` 4-byte elements.
    static func validate(_ operation: String, rows: Int, columns: Int, buffers: [(name: String, buffer: Buffer, perRow: Int)]) throws {
        guard rows > 0, columns > 0 else {
            throw VulkanError.invalidArgument("\(operation) needs at least one row and one column, got [\(rows), \(columns)].")
        }
        guard rows <= Int(Int32.max) / columns else {
            throw VulkanError.invalidArgument("\(operation) [\(rows), \(columns)]: more than 2^31 − 1 elements; split the batch.")
        }
        for (name, buffer, perRow) in buffers where buffer.byteCount < rows * perRow * 4 {
            let count = rows * perRow
            throw VulkanError.invalidArgument("\(operation) [\(rows), \(columns)]: \(name) needs \(count) elements (\(count * 4) bytes) but its buffer holds \(buffer.byteCount) bytes.")
        }
    }

    /// Throws unless `temperature` is positive and finite.
    static func validate(_ operation: String, temperature: Float) throws {
        guard temperature > 0, temperature.isFinite else {
            throw VulkanError.invalidArgument("\(operation): temperature must be positive and finite, got \(temperature).")
        }
    }

    /// Throws unless `value` is finite (a NaN or infinite scale would poison every row silently).
    static func validate(_ operation: String, finite value: Float, named name: String) throws {
        guard value.isFinite else { throw VulkanError.invalidArgument("\(operation): \(name) must be finite, got \(value).") }
    }
}
