import RetortCompute

extension KernelBenchmark {
    /// Conv kernels (filled in with the kernels issue).
    func convCases() throws -> [KernelCase] {
        []
    }
}
