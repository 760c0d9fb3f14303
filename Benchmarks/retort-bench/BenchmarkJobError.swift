/// Why a benchmark run as an `mpirun` job (`data-parallel`, `allreduce`) cannot run or did not run
/// as it must: bad settings for the job, or a wrong result.
struct BenchmarkJobError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
