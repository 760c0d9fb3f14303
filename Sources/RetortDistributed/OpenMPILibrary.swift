#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Open MPI's C API, opened at run time (`dlopen("libmpi.so.40")`) so that `retort` links no MPI
/// library and starts on machines without one; only a job started by `mpirun` loads it.
///
/// Open MPI's handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`, …) are the addresses of exported
/// globals (`ompi_mpi_comm_world`, …), which is why this is tied to Open MPI's ABI (4.x and 5.x
/// share `libmpi.so.40`); MPICH's handles are integers and would need a table of their own.
struct OpenMPILibrary {
    typealias Handle = OpaquePointer
    typealias InitThread = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32,
                                           UnsafeMutablePointer<Int32>) -> Int32
    typealias Finalize = @convention(c) () -> Int32
    typealias CommQuery = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias CommSplitType = @convention(c) (Handle, Int32, Int32, Handle, UnsafeMutablePointer<Handle?>) -> Int32
    typealias CommFree = @convention(c) (UnsafeMutablePointer<Handle?>) -> Int32
    typealias AllReduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias Broadcast = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias AllGather = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    typealias AllGatherV = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, UnsafePointer<Int32>,
                                           UnsafePointer<Int32>, Handle, Handle) -> Int32
    typealias Barrier = @convention(c) (Handle) -> Int32
    typealias Abort = @convention(c) (Handle, Int32) -> Int32

    let initThread: InitThread
    let finalize: Finalize
    let commRank: CommQuery
    let commSize: CommQuery
    let commSplitType: CommSplitType
    let commFree: CommFree
    let allReduce: AllReduce
    let broadcast: Broadcast
    let allGather: AllGather
    let allGatherV: AllGatherV
    let barrier: Barrier
    let abort: Abort

    let world: Handle
    let infoNull: Handle
    let float: Handle
    let double: Handle
    let int64: Handle
    let int32: Handle
    let byte: Handle
    let sum: Handle
    let min: Handle
    let max: Handle

    /// `MPI_IN_PLACE` is `(void *) 1` in Open MPI's `mpi.h`.
    static var inPlace: UnsafeRawPointer? { UnsafeRawPointer(bitPattern: 1) }
    /// `MPI_THREAD_FUNNELED`: only the thread that initialized MPI calls it.
    static let threadFunneled: Int32 = 1
    /// `MPI_COMM_TYPE_SHARED`: the processes that share memory (one machine).
    static let commTypeShared: Int32 = 0

    /// The library names tried in turn: Open MPI 4's and 5's soname, then the development link.
    static let names = ["libmpi.so.40", "libmpi.so"]

    /// Opens the first of `names` that loads (global symbols: Open MPI's own plugins resolve against them).
    static func open(names: [String] = names) throws(ProcessGroupError) -> OpenMPILibrary {
        var reasons: [String] = []
        var library: UnsafeMutableRawPointer?
        for name in names {
            library = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if library != nil { break }
            reasons.append(dlerror().map { String(cString: $0) } ?? "\(name): not found")
        }
        guard let library else { throw .libraryMissing(reasons.joined(separator: "; ")) }
        func symbol(_ name: String) throws(ProcessGroupError) -> UnsafeMutableRawPointer {
            guard let address = dlsym(library, name) else { throw .symbolMissing(name) }
            return address
        }
        func function<F>(_ name: String, as type: F.Type) throws(ProcessGroupError) -> F {
            unsafeBitCast(try symbol(name), to: type)
        }
        func handle(_ name: String) throws(ProcessGroupError) -> Handle { Handle(try symbol(name)) }
        return OpenMPILibrary(
            initThread: try function("MPI_Init_thread", as: InitThread.self),
            finalize: try function("MPI_Finalize", as: Finalize.self),
            commRank: try function("MPI_Comm_rank", as: CommQuery.self),
            commSize: try function("MPI_Comm_size", as: CommQuery.self),
            commSplitType: try function("MPI_Comm_split_type", as: CommSplitType.self),
            commFree: try function("MPI_Comm_free", as: CommFree.self),
            allReduce: try function("MPI_Allreduce", as: AllReduce.self),
            broadcast: try function("MPI_Bcast", as: Broadcast.self),
            allGather: try function("MPI_Allgather", as: AllGather.self),
            allGatherV: try function("MPI_Allgatherv", as: AllGatherV.self),
            barrier: try function("MPI_Barrier", as: Barrier.self),
            abort: try function("MPI_Abort", as: Abort.self),
            world: try handle("ompi_mpi_comm_world"),
            infoNull: try handle("ompi_mpi_info_null"),
            float: try handle("ompi_mpi_float"),
            double: try handle("ompi_mpi_double"),
            int64: try handle("ompi_mpi_int64_t"),
            int32: try handle("ompi_mpi_int32_t"),
            byte: try handle("ompi_mpi_byte"),
            sum: try handle("ompi_mpi_op_sum"),
            min: try handle("ompi_mpi_op_min"),
            max: try handle("ompi_mpi_op_max"))
    }

    func operation(_ operation: ReduceOperation) -> Handle {
        switch operation {
        case .sum: sum
        case .min: min
        case .max: max
        }
    }
}
