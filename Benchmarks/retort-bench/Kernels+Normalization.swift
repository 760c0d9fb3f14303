import RetortCompute

extension KernelBenchmark {
    /// Normalization kernels (filled in with the kernels issue).
    func normalizationCases() throws -> [KernelCase] {
        []
    }
}
