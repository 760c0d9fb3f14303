import Foundation
import Retort
import RetortCompute
import RetortDistill
import RetortDistributed

/// How this `retort` process was started: alone, or as one rank of an `mpirun` job (the data-parallel
/// ``ProcessGroup`` then, with MPI loaded at run time). Commands take their device and their share of
/// the work from it.
struct Launch {
    /// The job's processes; nil for a plain process (which never loads MPI).
    var group: OpenMPIProcessGroup?

    /// The launch of this process, from the environment `mpirun` sets.
    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Launch {
        Launch(group: try OpenMPIProcessGroup.launched(environment: environment))
    }

    /// Whether this process writes the run folder and the console output (rank 0, or alone).
    var isMain: Bool { group?.isMain ?? true }

    /// A data-parallel trainer setup over this job's ranks; nil for a plain process.
    func makeDataParallel() -> DataParallel? {
        guard let group else { return nil }
        let parallel = DataParallel(group: group)
        parallel.replicatesBatches = ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["RETORT_DDP_REPLICATE"] ?? "")
        return parallel
    }

    /// A context on this process's device: `RETORT_DEVICE` when set, else, under `mpirun`, the
    /// preferred kind's devices taken in turn by node-local rank. Every rank prints its device line;
    /// then ranks other than 0 go quiet (their standard output is discarded; errors still show).
    func makeContext() throws -> Context {
        guard let group else {
            let context = try Context()
            Console.say("device: \(context.device.info.summary)")
            return context
        }
        var options = Device.Options.fromEnvironment()
        let devices = try Device.available(validation: options.validation)
        options.selector = "\(try DeviceInfo.choose(from: devices, selector: options.selector, localRank: group.localRank).index)"
        let context = try Context(device: Device(options: options))
        let place = "rank \(group.rank)/\(group.size) (local \(group.localRank)/\(group.localSize))"
        Console.say("\(place): device: \(context.device.info.summary)")
        if !group.isMain { Console.silence() }
        return context
    }

    /// Throws unless this is a single process: for commands that do not run data-parallel.
    func requireSingleProcess(_ command: String) throws {
        guard let group, group.size > 1 else { return }
        throw CLIError.usage("'\(command)' does not run data-parallel yet: start it without mpirun (or with -np 1); "
                             + "train, distill, selfdistill and chain run under mpirun")
    }
}
