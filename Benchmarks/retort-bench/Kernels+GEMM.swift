import RetortCompute

extension KernelBenchmark {
    /// GEMM kernels (filled in with the kernels issue).
    func gemmCases() throws -> [KernelCase] {
        []
    }
}
