import Foundation
import XCTest

/// `retort-bench data-parallel` and `retort-bench allreduce` (Benchmarks/retort-bench): run as a user
/// runs them, alone and under `mpirun`, on tiny cases (a few seconds each).
final class DataParallelBenchmarkTests: XCTestCase {
    /// The `retort-bench` executable, built beside `retort`.
    private var bench: URL {
        get throws {
            let url = RetortProcess.binary.deletingLastPathComponent().appending(path: "retort-bench")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                XCTFail("retort-bench not found beside \(RetortProcess.binary.path): run `swift build --build-tests` first")
                throw CocoaError(.fileNoSuchFile)
            }
            return url
        }
    }

    /// `mpirun -np ranks retort-bench arguments…` with the flags `MPIRun` uses for `retort`.
    private func benchJob(ranks: Int, _ arguments: [String], options: [String] = []) throws -> RetortProcess.Run {
        let mpirun = try MPIRun.launcher()
        return try RetortProcess.run(["--oversubscribe", "--bind-to", "none", "-np", "\(ranks)"] + options + [try bench.path] + arguments,
                                     environment: MPIRun.jobEnvironment, executable: mpirun)
    }

    private func report(of run: RetortProcess.Run, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertEqual(run.status, 0, run.errors, file: file, line: line)
        let object = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        return try XCTUnwrap(object, "no JSON report on stdout: \(run.output)", file: file, line: line)
    }

    /// plane2 for 1×28×28 and 10 classes: conv 1→16 (3×3, bias) 160, BN 32, conv 16→16 2,320, BN 32,
    /// linear 16·7·7→10 7,850.
    private let plane2Parameters = 160 + 32 + 2_320 + 32 + 7_850

    func testTwoRanksReportTheWholeGradientAllReducedOnceOnEveryStep() throws {
        let run = try benchJob(ranks: 2, ["data-parallel", "--model", "plane2", "--batch-size", "8", "--steps", "2", "--warm-up", "1"],
                               options: ["--mca", "btl", "self,vader"])
        let report = try report(of: run)  // one report: rank 1 prints none
        XCTAssertEqual(report["ranks"] as? Int, 2)
        XCTAssertEqual(report["transport"] as? String, "self,vader")
        let row = try XCTUnwrap((report["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(row["batch_per_rank"] as? Int, 4)
        XCTAssertEqual(row["parameters"] as? Int, plane2Parameters)
        let gradientBytes = plane2Parameters * MemoryLayout<Float>.size
        // The whole gradient, plus the few step statistics (loss, correct count, stop) that ride along.
        let bytes = try XCTUnwrap(row["allreduce_bytes_per_rank"] as? Int)
        XCTAssertGreaterThanOrEqual(bytes, gradientBytes)
        XCTAssertLessThan(bytes, gradientBytes + 64)
        XCTAssertGreaterThan(try XCTUnwrap(row["allreduce_ms"] as? Double), 0)
        // Each step's least time over the ranks is at most rank 0's; the exchange and the gradient
        // transfer are parts of the step.
        let share = try XCTUnwrap(row["allreduce_share"] as? Double), least = try XCTUnwrap(row["allreduce_share_least_rank"] as? Double)
        let exchange = try XCTUnwrap(row["communication_share"] as? Double)
        XCTAssertGreaterThan(least, 0)
        XCTAssertLessThanOrEqual(least, share)
        XCTAssertLessThanOrEqual(least, exchange)
        XCTAssertLessThan(exchange, 1)
        XCTAssertTrue(run.errors.contains("rank 1/2"), "every rank names its device: \(run.errors)")
    }

    func testOneProcessWithoutMPIRunAllReducesNothing() throws {
        let run = try RetortProcess.run(["data-parallel", "--model", "plane2", "--batch-size", "4", "--steps", "1", "--warm-up", "1"],
                                        executable: try bench)
        let report = try report(of: run)
        XCTAssertEqual(report["mpi"] as? Bool, false)
        let row = try XCTUnwrap((report["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(row["ranks"] as? Int, 1)
        XCTAssertEqual(row["allreduce_bytes_per_rank"] as? Int, 0)
        XCTAssertEqual(row["allreduce_ms"] as? Double, 0)
    }

    func testABatchThatDoesNotSplitOverTheRanksIsRefused() throws {
        let run = try benchJob(ranks: 2, ["data-parallel", "--model", "plane2", "--batch-size", "9"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.errors.contains("--batch-size 9 does not split evenly over 2 ranks: give a multiple of 2"), run.errors)
        XCTAssertEqual(run.output, "")
    }

    func testAllReduceSumsEverySizeOverTwoRanksOnSharedMemoryAndTCP() throws {
        for transport in ["vader", "tcp"] {
            let run = try benchJob(ranks: 2, ["allreduce", "--sizes", "0.001,0.3", "--rounds", "2"],
                                   options: ["--mca", "btl", "self,\(transport)"])
            let rows = try XCTUnwrap(try report(of: run)["results"] as? [[String: Any]], transport)
            // The benchmark checks every element of every round's sum; a wrong one fails the run.
            XCTAssertEqual(rows.compactMap { $0["bytes"] as? Int }, [1_000, 300_000], transport)
        }
    }

    func testAllReduceWithoutMPIRunOrWithBadSizesSaysWhatToDo() throws {
        let alone = try RetortProcess.run(["allreduce"], executable: try bench)
        XCTAssertEqual(alone.status, 2)
        XCTAssertTrue(alone.errors.contains("start it under mpirun"), alone.errors)
        let badSizes = try RetortProcess.run(["allreduce", "--sizes", "1,zero"], executable: try bench)
        XCTAssertEqual(badSizes.status, 2)
        XCTAssertTrue(badSizes.errors.contains("--sizes needs a comma-separated list of megabytes above 0"), badSizes.errors)
    }
}
