import Foundation
import RetortCompute
import RetortDistributed

/// How the communication benchmarks (`data-parallel`, `allreduce`) run: as the ranks of an `mpirun`
/// job, every rank running the benchmark and rank 0 alone printing the report (JSON on stdout, a
/// Markdown table on stderr), or as one plain process without `mpirun`. A rank's error ends the whole
/// job (`MPI_Abort`) with a non-zero exit, never leaving the others waiting in a collective.
struct BenchmarkJob {
    /// The benchmarks that run this way.
    static let names = ["data-parallel", "allreduce"]

    /// The job's ranks (Open MPI, loaded at run time); nil for a process started without `mpirun`.
    let group: OpenMPIProcessGroup?

    /// This process's place in the job, from the environment `mpirun` sets.
    static func launched() throws -> BenchmarkJob {
        BenchmarkJob(group: try OpenMPIProcessGroup.launched(environment: ProcessInfo.processInfo.environment))
    }

    /// Whether this process prints the report: rank 0, or a plain process.
    var isMain: Bool { group?.isMain ?? true }

    /// This rank's device, chosen as `retort` chooses it: `RETORT_DEVICE` when set, else the preferred
    /// kind's devices taken in turn by node-local rank. Every rank prints its device line on stderr.
    func device() throws -> Device {
        var options = Device.Options.fromEnvironment()
        var label = "device"
        if let group {
            let devices = try Device.available(validation: options.validation)
            options.selector = "\(try DeviceInfo.choose(from: devices, selector: options.selector, localRank: group.localRank).index)"
            label = "rank \(group.rank)/\(group.size) (local \(group.localRank)/\(group.localSize)): device"
        }
        let device = try Device(options: options)
        FileHandle.standardError.write(Data("\(label): \(device.info.summary)\n".utf8))
        return device
    }

    /// Ends every rank with a usage error (exit status 2) that all ranks detect alike, before any
    /// collective: rank 0 prints `message`.
    func refuse(_ message: String) -> Never {
        if isMain { FileHandle.standardError.write(Data("error: \(message)\n".utf8)) }
        group?.finalize()
        exit(2)
    }

    /// Runs `benchmark` on this rank, prints rank 0's report and table, and ends the process: exit 0
    /// after `MPI_Finalize`, or, on an error, its message naming the rank and `MPI_Abort` (exit 1).
    func run(_ benchmark: () throws -> (report: [String: Any], table: String)) -> Never {
        do {
            let (report, table) = try benchmark()
            if isMain {
                FileHandle.standardError.write(Data((table + "\n").utf8))
                let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
                FileHandle.standardOutput.write(data + Data("\n".utf8))
            }
            group?.finalize()
            exit(0)
        } catch {
            let rank = group.map { "rank \($0.rank)/\($0.size): " } ?? ""
            FileHandle.standardError.write(Data("error: \(rank)\(error)\n".utf8))
            group?.abort(code: 1)
            exit(1)
        }
    }
}
