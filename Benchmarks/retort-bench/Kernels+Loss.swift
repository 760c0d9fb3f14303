import RetortCompute

extension KernelBenchmark {
    /// Loss kernels (filled in with the kernels issue).
    func lossCases() throws -> [KernelCase] {
        []
    }
}
