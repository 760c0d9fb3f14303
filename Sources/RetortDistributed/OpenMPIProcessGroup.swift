#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The processes `mpirun` started, through Open MPI (loaded at run time, see ``OpenMPILibrary``).
///
/// Create it once per process with ``launched(environment:)``; call ``finalize()`` before a normal
/// exit and ``abort(code:)`` on an error. MPI is called only from the thread that created it.
public final class OpenMPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    public let localRank: Int
    public let localSize: Int
    private let mpi: OpenMPILibrary
    private var finalized = false

    /// The job this process belongs to when `mpirun` started it (Open MPI sets
    /// `OMPI_COMM_WORLD_SIZE`), else nil: a plain process, which never loads MPI.
    public static func launched(environment: [String: String]) throws(ProcessGroupError) -> OpenMPIProcessGroup? {
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil else { return nil }
        return try OpenMPIProcessGroup()
    }

    /// Initializes MPI (`MPI_Init_thread`, funneled) and reads this process's place in the job.
    public init() throws(ProcessGroupError) {
        let mpi = try OpenMPILibrary.open()
        var provided: Int32 = 0
        try Self.check(mpi.initThread(nil, nil, OpenMPILibrary.threadFunneled, &provided), "MPI_Init_thread")
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(mpi.commRank(mpi.world, &rank), "MPI_Comm_rank")
        try Self.check(mpi.commSize(mpi.world, &size), "MPI_Comm_size")
        // The processes on this machine, ordered by world rank: the local rank picks the GPU.
        var local: OpaquePointer?
        try Self.check(mpi.commSplitType(mpi.world, OpenMPILibrary.commTypeShared, rank, mpi.infoNull, &local), "MPI_Comm_split_type")
        var localRank: Int32 = 0, localSize: Int32 = 1
        if let local {
            try Self.check(mpi.commRank(local, &localRank), "MPI_Comm_rank")
            try Self.check(mpi.commSize(local, &localSize), "MPI_Comm_size")
            var freed: OpaquePointer? = local
            _ = mpi.commFree(&freed)
        }
        self.mpi = mpi
        self.rank = Int(rank)
        self.size = Int(size)
        self.localRank = Int(localRank)
        self.localSize = Int(localSize)
    }

    /// Ends MPI for this process (`MPI_Finalize`); collectives fail after it.
    public func finalize() {
        guard !finalized else { return }
        finalized = true
        _ = mpi.finalize()
    }

    public func allReduce(_ values: inout [Float], _ operation: ReduceOperation) throws(ProcessGroupError) {
        try reduce(&values, type: mpi.float, operation)
    }

    public func allReduce(_ values: inout [Double], _ operation: ReduceOperation) throws(ProcessGroupError) {
        try reduce(&values, type: mpi.double, operation)
    }

    public func allReduce(_ values: inout [Int64], _ operation: ReduceOperation) throws(ProcessGroupError) {
        try reduce(&values, type: mpi.int64, operation)
    }

    public func broadcast(_ bytes: inout [UInt8], from root: Int) throws(ProcessGroupError) {
        var count = [Int64(bytes.count)]
        try Self.check(count.withUnsafeMutableBytes { mpi.broadcast($0.baseAddress, 1, mpi.int64, Int32(root), mpi.world) }, "MPI_Bcast")
        let length = try Self.count(Int(count[0]), "a broadcast")
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(length)) }
        let code = bytes.withUnsafeMutableBytes { mpi.broadcast($0.baseAddress, length, mpi.byte, Int32(root), mpi.world) }
        try Self.check(code, "MPI_Bcast")
    }

    public func allGather(_ values: [Float]) throws(ProcessGroupError) -> [[Float]] {
        var counts = [Int32](repeating: 0, count: size)
        var mine = try Self.count(values.count, "a gather")
        try Self.check(counts.withUnsafeMutableBytes { all in
            withUnsafeMutableBytes(of: &mine) { mpi.allGather($0.baseAddress, 1, mpi.int32, all.baseAddress, 1, mpi.int32, mpi.world) }
        }, "MPI_Allgather")
        var offsets = [Int32](repeating: 0, count: size)
        var total = 0
        for r in 0..<size {
            offsets[r] = try Self.count(total, "a gather")
            total += Int(counts[r])
        }
        _ = try Self.count(total, "a gather")
        var gathered = [Float](repeating: 0, count: total)
        let code = gathered.withUnsafeMutableBytes { out in
            values.withUnsafeBytes { input in
                counts.withUnsafeBufferPointer { counts in
                    offsets.withUnsafeBufferPointer { offsets in
                        mpi.allGatherV(input.baseAddress ?? OpenMPILibrary.inPlace, mine, mpi.float, out.baseAddress, counts.baseAddress!,
                                       offsets.baseAddress!, mpi.float, mpi.world)
                    }
                }
            }
        }
        try Self.check(code, "MPI_Allgatherv")
        return (0..<size).map { r in Array(gathered[Int(offsets[r])..<Int(offsets[r]) + Int(counts[r])]) }
    }

    public func barrier() throws(ProcessGroupError) {
        try Self.check(mpi.barrier(mpi.world), "MPI_Barrier")
    }

    public func abort(code: Int32) -> Never {
        _ = mpi.abort(mpi.world, code == 0 ? 1 : code)
        exit(code == 0 ? 1 : code)
    }

    private func reduce<T>(_ values: inout [T], type: OpaquePointer, _ operation: ReduceOperation) throws(ProcessGroupError) {
        let count = try Self.count(values.count, "an all-reduce")
        let op = mpi.operation(operation)
        try Self.check(values.withUnsafeMutableBytes { mpi.allReduce(OpenMPILibrary.inPlace, $0.baseAddress, count, type, op, mpi.world) },
                       "MPI_Allreduce")
    }

    private static func check(_ code: Int32, _ function: String) throws(ProcessGroupError) {
        guard code == 0 else { throw .callFailed(function: function, code: code) }
    }

    private static func count(_ value: Int, _ what: String) throws(ProcessGroupError) -> Int32 {
        guard let count = Int32(exactly: value) else {
            throw .tooLarge("\(what) of \(value) elements exceeds MPI's 2³¹−1 per call")
        }
        return count
    }
}
