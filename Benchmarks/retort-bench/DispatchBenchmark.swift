import Foundation
import RetortCompute

/// Measures what the runtime itself costs: recording, per-dispatch execution overhead inside one
/// command buffer, and one submit + fence wait. The kernel is tiny (64 floats, `x = x + 1`: a plain SGD
/// step with learning rate 1 against a gradient of −1), so the numbers are overhead, not arithmetic.
struct DispatchBenchmark {
    let device: Device
    let rounds: Int
    let dispatches = 1000
    let elements = 64

    func run() throws -> [String: Any] {
        let kernel = try SGDLauncher(device: device).kernel
        let stream = try device.makeStream()
        let shared = try device.makeBuffer([Float](repeating: 0, count: elements))
        let separate = try (0..<dispatches).map { _ in try device.makeBuffer([Float](repeating: 0, count: elements)) }
        let gradient = try device.makeBuffer([Float](repeating: -1, count: elements))
        // `sgd.comp`'s push constants (SGDLauncher.Push): count, lr, momentum, 1 − dampening, weight decay,
        // nesterov, first step, maximize.
        let push: [ShaderValue] = [.count(elements), 1.0, 0.0, 1.0, 0.0, false, false, false]

        // Warm-up: pipeline JIT and first-touch costs are paid here, not measured.
        try stream.dispatch(kernel, [shared, gradient, shared], push: push, groups: (1, 1, 1))
        try stream.run()

        // One dispatch per submit: the fixed cost of submit + fence wait (plus one dispatch).
        var single: [Double] = []
        for _ in 0..<max(rounds * 20, 50) {
            try stream.dispatch(kernel, [shared, gradient, shared], push: push, groups: (1, 1, 1))
            single.append(try seconds { try stream.run() })
        }

        // 1000 dependent dispatches (each reads what the last wrote: 999 barriers), one submit.
        var dependentRecord: [Double] = [], dependentRun: [Double] = [], barriers = 0
        for _ in 0..<rounds {
            dependentRecord.append(try seconds {
                for _ in 0..<dispatches { try stream.dispatch(kernel, [shared, gradient, shared], push: push, groups: (1, 1, 1)) }
            })
            barriers = stream.barrierCount
            dependentRun.append(try seconds { try stream.run() })
        }

        // 1000 independent dispatches (distinct buffers: no barriers), one submit.
        var independentRun: [Double] = [], independentBarriers = 0
        for _ in 0..<rounds {
            for buffer in separate { try stream.dispatch(kernel, [buffer, gradient, buffer], push: push, groups: (1, 1, 1)) }
            independentBarriers = stream.barrierCount
            independentRun.append(try seconds { try stream.run() })
        }

        let expected = Float(1 + single.count + rounds * dispatches)
        guard try shared.read(Float.self, count: 1) == [expected] else {
            throw VulkanError.invalidArgument("dispatch benchmark computed a wrong result; the runtime is broken")
        }

        let submitWait = median(single)
        let perDependent = (median(dependentRun) - submitWait) / Double(dispatches - 1)
        let perIndependent = (median(independentRun) - submitWait) / Double(dispatches - 1)
        return [
            "benchmark": "dispatch",
            "device": device.info.summary,
            "validation": device.validationEnabled,
            "rounds": rounds,
            "dispatches_per_stream": dispatches,
            "per_dispatch_us": round2(perDependent * 1e6),
            "per_dispatch_independent_us": round2(perIndependent * 1e6),
            "record_us_per_dispatch": round2(median(dependentRecord) / Double(dispatches) * 1e6),
            "submit_wait_us": round2(submitWait * 1e6),
            "stream_1000_ms": round2(median(dependentRun) * 1e3),
            "barriers_dependent": barriers,
            "barriers_independent": independentBarriers,
            "lavapipe_target_per_dispatch_us": 15,
        ]
    }

    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    private func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}
