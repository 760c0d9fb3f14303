import RetortCompute

extension KernelBenchmark {
    /// Elementwise kernels (filled in with the kernels issue).
    func elementwiseCases() throws -> [KernelCase] {
        []
    }
}
