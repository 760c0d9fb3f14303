/// The processes of one data-parallel job and the collective operations between them, as PyTorch's
/// `ProcessGroup`: every process calls the same collectives in the same order, with the same
/// element counts (except where a collective says otherwise), and each call returns once all have made it.
///
/// ``OpenMPIProcessGroup`` is the implementation for jobs started by `mpirun`.
public protocol ProcessGroup: AnyObject {
    /// This process's rank, 0..<size. Rank 0 writes the run folder.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// This process's rank among the processes on its own machine (which GPU it takes).
    var localRank: Int { get }
    /// The number of processes on this machine.
    var localSize: Int { get }

    /// Replaces `values` by their element-wise sum over all processes.
    func allReduce(_ values: inout [Float], _ operation: ReduceOperation) throws(ProcessGroupError)
    /// Replaces `values` by their element-wise reduction over all processes.
    func allReduce(_ values: inout [Double], _ operation: ReduceOperation) throws(ProcessGroupError)
    /// Replaces `values` by their element-wise reduction over all processes.
    func allReduce(_ values: inout [Int64], _ operation: ReduceOperation) throws(ProcessGroupError)
    /// Replaces `bytes` on every process by `root`'s (any length; the others' lengths need not match).
    func broadcast(_ bytes: inout [UInt8], from root: Int) throws(ProcessGroupError)
    /// Every process's `values` (lengths may differ), in rank order.
    func allGather(_ values: [Float]) throws(ProcessGroupError) -> [[Float]]
    /// Returns once every process has called it.
    func barrier() throws(ProcessGroupError)
    /// Ends every process of the job with `code` (after this one's error is reported): a rank that
    /// fails must not leave the others waiting in a collective.
    func abort(code: Int32) -> Never
}

/// How ``ProcessGroup/allReduce(_:_:)`` combines the processes' values.
public enum ReduceOperation: Sendable {
    case sum, min, max
}

extension ProcessGroup {
    /// Whether this is rank 0, the process that writes checkpoints, metrics and progress.
    public var isMain: Bool { rank == 0 }

    /// The rows `lo..<hi` of `count` rows that this rank takes: as even as can be, in rank order
    /// (`count·rank/size ..< count·(rank+1)/size`: where the rows do not divide evenly, some ranks take
    /// one more, spread over the ranks; rank 0 never does).
    public func shard(of count: Int) -> Range<Int> {
        let lo = count * rank / size, hi = count * (rank + 1) / size
        return lo..<hi
    }
}
