import RetortCompute

extension KernelBenchmark {
    /// Optimizer kernels (filled in with the kernels issue).
    func optimizerCases() throws -> [KernelCase] {
        []
    }
}
