import RetortCompute

extension KernelBenchmark {
    /// Fused softmax losses (`softmax_kl.comp`, `cross_entropy.comp`) and softmax itself, in GB/s of
    /// compulsory traffic: each input read once and each output written once (the kernels sweep a
    /// row three times, but the later sweeps hit the cache).
    func lossCases() throws -> [KernelCase] {
        let kl = try SoftmaxKLLauncher(device: device)
        let crossEntropy = try CrossEntropyLauncher(device: device)
        let softmax = try SoftmaxLauncher(device: device)
        var cases: [KernelCase] = []
        for (rows, classes) in [(256, 100), (4096, 1000)] {
            let elements = rows * classes
            let student = try randomBuffer(elements, seed: 1), teacher = try randomBuffer(elements, seed: 2)
            let gradient = try device.makeBuffer(byteCount: elements * 4), loss = try device.makeBuffer(byteCount: rows * 4)
            // Reads z_s and z_t, writes dz_s and loss.
            cases.append(KernelCase(name: "softmax_kl_\(rows)x\(classes)", shape: "\(rows)x\(classes) T=4", unit: .gbps,
                                    work: Double(3 * elements * 4 + rows * 4)) { stream in
                try kl.encode(into: stream, student: student, teacher: teacher, studentGradient: gradient, loss: loss,
                              rows: rows, classes: classes, temperature: 4, scale: 16 / Float(rows))
            })
        }
        let (rows, classes) = (4096, 1000)
        let elements = rows * classes
        let logits = try randomBuffer(elements, seed: 3)
        let labels = try device.makeBuffer((0..<rows).map { Int32($0 % classes) })
        let gradient = try device.makeBuffer(byteCount: elements * 4), loss = try device.makeBuffer(byteCount: rows * 4)
        // Reads logits and labels, writes the gradient and the loss.
        cases.append(KernelCase(name: "cross_entropy_\(rows)x\(classes)", shape: "\(rows)x\(classes) eps=0.1", unit: .gbps,
                                work: Double(2 * elements * 4 + 2 * rows * 4)) { stream in
            try crossEntropy.encode(into: stream, logits: logits, labels: labels, gradient: gradient, loss: loss, rows: rows, classes: classes,
                                    labelSmoothing: 0.1, scale: 1 / Float(rows))
        })
        // Reads x, writes y.
        cases.append(KernelCase(name: "softmax_\(rows)x\(classes)", shape: "\(rows)x\(classes) T=4", unit: .gbps,
                                work: Double(2 * elements * 4)) { stream in
            try softmax.encode(into: stream, input: logits, output: gradient, rows: rows, columns: classes, temperature: 4)
        })
        return cases
    }
}
