import RetortCompute

extension KernelBenchmark {
    /// GEMM: square NN products, plus the transposed products of a linear layer's backward pass.
    func gemmCases() throws -> [KernelCase] {
        let gemm = try MatMulLauncher(device: device)
        var cases: [KernelCase] = []
        for size in [512, 1024, 2048] {
            let a = try randomBuffer(size * size, seed: 1), b = try randomBuffer(size * size, seed: 2)
            let c = try device.makeBuffer(byteCount: size * size * 4)
            cases.append(KernelCase(name: "gemm_nn_\(size)", shape: "\(size)x\(size)x\(size)", unit: .gflops,
                                    work: 2 * Double(size * size * size)) { stream in
                try gemm.encode(into: stream, a: a, b: b, c: c, shape: .init(m: size, n: size, k: size))
            })
        }
        // Linear layer 4096 → 1000 on a batch of 256: forward (NT), input gradient (NN), weight gradient (TN).
        let (batch, input, output) = (256, 4096, 1000)
        let x = try randomBuffer(batch * input, seed: 3), w = try randomBuffer(output * input, seed: 4)
        let y = try device.makeBuffer(byteCount: batch * output * 4), dw = try device.makeBuffer(byteCount: output * input * 4)
        let dx = try device.makeBuffer(byteCount: batch * input * 4)
        let flops = 2 * Double(batch * input * output)
        cases.append(KernelCase(name: "gemm_nt_linear_fwd", shape: "256x1000x4096", unit: .gflops, work: flops) { stream in
            try gemm.encode(into: stream, a: x, b: w, c: y, shape: .init(m: batch, n: output, k: input, transposeB: true))
        })
        cases.append(KernelCase(name: "gemm_nn_linear_bwd_data", shape: "256x4096x1000", unit: .gflops, work: flops) { stream in
            try gemm.encode(into: stream, a: y, b: w, c: dx, shape: .init(m: batch, n: input, k: output))
        })
        cases.append(KernelCase(name: "gemm_tn_linear_bwd_weight", shape: "1000x4096x256", unit: .gflops, work: flops) { stream in
            try gemm.encode(into: stream, a: y, b: x, c: dw, shape: .init(m: output, n: input, k: batch, transposeA: true))
        })
        return cases
    }
}
