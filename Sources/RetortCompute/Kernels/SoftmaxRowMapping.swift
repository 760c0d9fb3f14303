// How softmax-family shaders map rows to invocations.
//   x: [rows, columns]

/// How the kernels of the softmax family (``SoftmaxLauncher``, ``SoftmaxKLLauncher``, ``CrossEntropyLauncher``) map the rows
/// of a row-major `[rows, columns]` matrix onto invocations.
///
/// Every mapping reduces a row in a fixed order, so the same inputs give the same bits on a given
/// device; the mappings agree with each other to rounding and differ only in speed. Rows of a
/// column count divisible by 4 are read four columns per fetch (RGBA32F views) in every mapping.
public enum SoftmaxRowMapping: Sendable, Hashable {
    /// One invocation per row, looping over the row serially; `rowsPerWorkgroup` rows per workgroup.
    /// No shared memory and no barriers, but neighbouring invocations load addresses a row apart:
    /// on lavapipe this is 10–20× slower than ``subgroupPerRow(rowsPerWorkgroup:)``.
    case invocationPerRow(rowsPerWorkgroup: Int)
    /// One subgroup per row (the device's subgroup size, whatever it is), neighbouring invocations
    /// loading neighbouring columns; reductions are subgroup operations alone: no shared memory and
    /// no barriers. `rowsPerWorkgroup` rows per workgroup. The fastest layout on lavapipe. It relies
    /// on subgroups being made of consecutive invocations, which is how drivers lay them out.
    case subgroupPerRow(rowsPerWorkgroup: Int)
    /// One workgroup of `lanes` invocations per row, each taking every `lanes`-th group of columns;
    /// partial results combine with subgroup operations and then across subgroups with one barrier
    /// per reduction. Correct for any subgroup size and layout; the layout for GPUs and for very
    /// long rows.
    case workgroupPerRow(lanes: Int)

    /// The mapping expected to be fastest on `device` (``KernelChoice/softmaxRowMapping``): one
    /// subgroup per row on lavapipe (measured), a 64-lane workgroup per row elsewhere (coalesced
    /// loads, no assumption about how invocations form subgroups).
    public static func preferred(for device: Device) -> SoftmaxRowMapping {
        device.kernelChoice.softmaxRowMapping
    }

    /// The workgroup size and specialization constants of a kernel of the family on `device`
    /// (x: invocations per row, y: rows per workgroup; constant 3: a row is one subgroup;
    /// constant 4: four columns per texel), and what it assumes of the subgroups: a row per
    /// subgroup needs full subgroups of exactly x lanes.
    func specialization(for device: Device, vector: Bool)
        -> (localSize: [UInt32], constants: SoftmaxRowSpecialization, subgroups: SubgroupLayout) {
        switch self {
        case .invocationPerRow(let rows):
            return ([1, UInt32(clamping: rows), 1], SoftmaxRowSpecialization(rowIsSubgroup: false, rowVec4: vector), .any)
        case .subgroupPerRow(let rows):
            let width = max(device.info.subgroupSize, 1)
            return ([UInt32(clamping: width), UInt32(clamping: rows), 1], SoftmaxRowSpecialization(rowIsSubgroup: true, rowVec4: vector),
                    .exactly(width))
        case .workgroupPerRow(let lanes):
            return ([UInt32(clamping: lanes), 1, 1], SoftmaxRowSpecialization(rowIsSubgroup: false, rowVec4: vector), .any)
        }
    }

    var rowsPerWorkgroup: Int {
        switch self {
        case .invocationPerRow(let rows), .subgroupPerRow(let rows): return rows
        case .workgroupPerRow: return 1
        }
    }

    /// Throws unless the mapping describes a usable workgroup (the device checks its own limits when
    /// the kernel is built).
    func validate() throws {
        switch self {
        case .invocationPerRow(let rows) where rows < 1 || rows > 1024, .subgroupPerRow(let rows) where rows < 1 || rows > 1024:
            throw VulkanError.invalidArgument("SoftmaxRowMapping \(self) needs 1...1024 rows per workgroup, got \(rows).")
        case .workgroupPerRow(let lanes) where lanes < 1 || lanes > 256:
            // The shaders keep up to 3 × lanes vec4 partials in shared memory: ≤ 12 KiB, under the
            // 16 KiB every device has.
            throw VulkanError.invalidArgument("SoftmaxRowMapping.workgroupPerRow needs 1...256 lanes, got \(lanes).")
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

/// The specialization constants of the softmax-family shaders (`softmax_rows.glsl`).
struct SoftmaxRowSpecialization: SpecializationConstants {
    /// constant_id 3: `ROW_IS_SUBGROUP`: one subgroup per row (else one invocation or one workgroup per row).
    public var rowIsSubgroup: Bool
    /// constant_id 4: `ROW_VEC4`: rows read as RGBA32F (columns divisible by 4).
    public var rowVec4: Bool

    public init(rowIsSubgroup: Bool, rowVec4: Bool) {
        self.rowIsSubgroup = rowIsSubgroup
        self.rowVec4 = rowVec4
    }

    public var values: [ShaderValue] { [.bool(rowIsSubgroup), .bool(rowVec4)] }
}

/// The two builds of one softmax-family shader: R32F input views (any column count) and RGBA32F
/// views, four columns per fetch and store, for column counts divisible by 4 (every row then starts
/// on a 16-byte boundary; buffers themselves are at least 64-byte aligned).
struct SoftmaxKernelPair: Sendable {
    let scalar: Kernel
    let vector: Kernel

    /// `bindings` gives the shader's bindings for the view format of its float inputs.
    init<P: PushConstants>(device: Device, shader: Shader, bindings: (TexelFormat) -> [Kernel.Binding], pushConstants: P.Type,
                           mapping: SoftmaxRowMapping) throws {
        try mapping.validate()
        let scalarBuild = mapping.specialization(for: device, vector: false)
        let vectorBuild = mapping.specialization(for: device, vector: true)
        scalar = try device.kernel(shader, bindings: bindings(.r32f), pushConstants: P.self,
                                   localSize: scalarBuild.localSize, constants: scalarBuild.constants, subgroups: scalarBuild.subgroups)
        vector = try device.kernel(shader, bindings: bindings(.rgba32f), pushConstants: P.self,
                                   localSize: vectorBuild.localSize, constants: vectorBuild.constants, subgroups: vectorBuild.subgroups)
    }

    /// The build for rows of `columns` columns.
    func kernel(columns: Int) -> Kernel {
        columns % 4 == 0 ? vector : scalar
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
