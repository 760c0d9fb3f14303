import Foundation
import RetortCheckpoint
import RetortData
import RetortDistributed
import RetortNN

/// Data-parallel training over a ``ProcessGroup`` with PyTorch DDP's semantics: rank 0's weights and
/// optimizer state go to every rank at the start; each rank trains on its rows of the global batch
/// (the single-process run's samples and augmentation); gradients are averaged over ranks in one
/// flat all-reduce before every optimizer step, so the replicas stay bit-identical; batch norm uses
/// each rank's batch statistics, and rank 0's running statistics are the ones kept (DDP's
/// `broadcast_buffers`); evaluation is sharded by batch and gathered, so its metrics equal the
/// single-process ones. Rank 0 alone writes the run folder.
public final class DataParallel {
    public let group: any ProcessGroup
    /// Every rank trains on the whole global batch instead of its rows (for checking that the
    /// all-reduce of equal gradients is exact: the result must equal a single process bit for bit).
    public var replicatesBatches = false
    /// What the last step communicated, for benchmarks.
    public private(set) var lastReduction = Reduction()

    /// One step's gradient all-reduce.
    public struct Reduction: Sendable {
        /// Bytes each rank sent into the all-reduce.
        public var bytes = 0
        /// Wall time of the all-reduce call alone.
        public var seconds = 0.0
        /// Wall time of reading the gradients from the device and writing the averages back.
        public var transferSeconds = 0.0
    }

    public init(group: any ProcessGroup) {
        self.group = group
    }

    /// Whether this rank writes checkpoints, metrics and progress.
    public var isMain: Bool { group.isMain }

    /// This rank's rows of a global batch and the weight of its gradient in the average: its share of
    /// the batch (1/N when the batch divides evenly), so that a last, uneven batch averages as the
    /// single process's mean does.
    public func shard(_ batch: Batch) -> (batch: Batch, weight: Float) {
        guard !replicatesBatches else { return (batch, 1 / Float(group.size)) }
        let rows = group.shard(of: batch.count)
        let part = batch.rows(rows)
        return (part, Float(rows.count) / Float(max(batch.count, 1)))
    }

    /// Replaces every parameter's gradient by the weighted sum over ranks (`Σ_r w_r·g_r`, the
    /// average for equal shards) in one flat all-reduce, parameters in reverse order as DDP's buckets;
    /// `extras` ride along and come back summed. A parameter without a gradient counts as zeros.
    public func reduceGradients(of parameters: [Tensor], weight: Float, extras: [Float]) throws -> [Float] {
        let started = Date()
        var gradients = FlatGradients(parameters)
        try gradients.add(weight: weight)
        return try allReduce(&gradients, extras: extras, readSeconds: Date().timeIntervalSince(started))
    }

    /// Sums `gradients` (and `extras`, returned) over the ranks and writes the sums as the gradients;
    /// `readSeconds` is the time reading them took (for ``lastReduction``).
    func allReduce(_ gradients: inout FlatGradients, extras: [Float], readSeconds: Double = 0) throws -> [Float] {
        var flat = gradients.values + extras
        let reduceStarted = Date()
        try group.allReduce(&flat, .sum)
        let reduceSeconds = Date().timeIntervalSince(reduceStarted)
        gradients.values = Array(flat[..<gradients.values.count])
        try gradients.write()
        lastReduction = Reduction(bytes: flat.count * MemoryLayout<Float>.size, seconds: reduceSeconds,
                                  transferSeconds: readSeconds + Date().timeIntervalSince(reduceStarted) - reduceSeconds)
        return Array(flat[gradients.values.count...])
    }

    /// Rank 0's weights, buffers, optimizer state and `runState` on every rank; returns the run state.
    public func broadcast(model: any Module, optimizer: (any Optimizer)?, runState: [String: String]) throws -> [String: String] {
        var weights = isMain ? try model.stateDict() : SafeTensors()
        weights.metadata = runState
        var bytes = isMain ? [UInt8](try weights.serialized()) : []
        try group.broadcast(&bytes, from: 0)
        let received = try SafeTensors(data: Data(bytes), source: "rank 0's weights")
        if !isMain { try model.load(stateDict: received, source: "rank 0's weights") }
        if let optimizer {
            let names = model.parameterNamesByIdentity()
            var state = isMain ? [UInt8](try optimizer.state(parameterNames: names).serialized()) : []
            try group.broadcast(&state, from: 0)
            if !isMain {
                try optimizer.loadState(SafeTensors(data: Data(state), source: "rank 0's optimizer state"), parameterNames: names)
            }
        }
        return received.metadata
    }

    /// Rank 0's buffers (batch-norm running statistics and counts) on every rank, as DDP's
    /// `broadcast_buffers` keeps them; parameters are not sent (they are already equal).
    public func broadcastBuffers(of model: any Module) throws {
        let buffers = model.namedBuffers()
        let count = buffers.reduce(0) { $0 + $1.tensor.count }
        var values = isMain ? try buffers.flatMap { try $0.tensor.toArray() } : [Float](repeating: 0, count: count)
        var bytes = values.withUnsafeBytes { [UInt8]($0) }
        try group.broadcast(&bytes, from: 0)
        values = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var offset = 0
        for (_, tensor) in buffers {
            if !isMain { try tensor.assign(Array(values[offset..<offset + tensor.count])) }
            offset += tensor.count
        }
        var counters = model.namedIntegerBuffers().map(\.counter.value)
        var counterBytes = counters.withUnsafeBytes { [UInt8]($0) }
        try group.broadcast(&counterBytes, from: 0)
        counters = counterBytes.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
        for ((_, counter), value) in zip(model.namedIntegerBuffers(), counters) { counter.value = value }
    }

    /// Throws unless every rank holds the same parameters bit for bit (a hash of their bits,
    /// reduced by minimum and maximum).
    public func checkReplicasAgree(_ model: any Module) throws {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for parameter in model.parameters() {
            for value in try parameter.toArray() {
                hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01b3
            }
        }
        var low = [Int64(bitPattern: hash)], high = low
        try group.allReduce(&low, .min)
        try group.allReduce(&high, .max)
        guard low == high else {
            throw ProcessGroupError.mismatch("the ranks' weights differ: the replicas have diverged (a kernel that is not "
                                             + "deterministic, or ranks on different kinds of device)")
        }
    }

    /// Throws on every rank unless all ranks run with the same settings text (the resolved
    /// `config.json`), naming the first line where this rank's differ from rank 0's.
    public func checkSameSettings(_ text: String) throws {
        var bytes = isMain ? [UInt8](text.utf8) : []
        try group.broadcast(&bytes, from: 0)
        let main = String(decoding: bytes, as: UTF8.self)
        var differs = [Int64(main == text ? 0 : 1)]
        let difference = zip(main.split(separator: "\n"), text.split(separator: "\n")).first { $0 != $1 }
        try group.allReduce(&differs, .max)
        guard differs[0] == 0 else {
            let shown = difference.map { (mine: $0.1.trimmingCharacters(in: .whitespaces), main: $0.0.trimmingCharacters(in: .whitespaces)) }
            let detail = main == text ? "" : ": rank \(group.rank) has " + (shown.map { "'\($0.mine)' where rank 0 has '\($0.main)'" } ?? "other settings")
            throw ProcessGroupError.mismatch("the ranks were started with different settings\(detail); give every rank the "
                                             + "same command line and config file")
        }
    }

    /// Each rank's `values` concatenated in rank order.
    func allGather(_ values: [Float]) throws -> [Float] {
        try group.allGather(values).flatMap { $0 }
    }
}
