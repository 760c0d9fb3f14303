/// `C = alpha · A · B + beta · C` for row-major fp32 matrices (A: [M, K], B: [K, N], C: [M, N]).
///
/// The kernel reads A and B through texel buffers and keeps a 4×4 block of C per invocation in
/// registers. (The tuned GEMM family — transposes, batching, split-K, per-device tiles — replaces it
/// with the kernels issue.)
public struct GEMM: Sendable {
    public let kernel: Kernel
    private static let tile = 4

    public init(device: Device) throws {
        kernel = try device.kernel("gemm", bindings: [.texel(.r32f), .texel(.r32f), .storage(.readWrite)], pushConstants: 5,
                                   localSize: [8, 8, 1], constants: [.count(Self.tile), .count(Self.tile)])
    }

    /// Records the product into `stream`.
    public func encode(into stream: CommandStream, a: Buffer, b: Buffer, c: Buffer, m: Int, n: Int, k: Int,
                       alpha: Float = 1, beta: Float = 0) throws {
        guard m > 0, n > 0, k > 0 else { throw VulkanError.invalidArgument("GEMM needs positive sizes, got M=\(m) N=\(n) K=\(k).") }
        let floats = MemoryLayout<Float>.stride
        for (name, buffer, count) in [("A", a, m * k), ("B", b, k * n), ("C", c, m * n)] where buffer.byteCount < count * floats {
            throw VulkanError.invalidArgument("GEMM M=\(m) N=\(n) K=\(k): \(name) needs \(count) floats but its buffer holds \(buffer.byteCount / floats).")
        }
        let groups = kernel.groups(covering: ((n + Self.tile - 1) / Self.tile, (m + Self.tile - 1) / Self.tile, 1))
        try stream.dispatch(kernel, [a, b, c], push: [.count(m), .count(n), .count(k), .float(alpha), .float(beta)], groups: groups)
    }
}
