@testable import RetortDistributed
import XCTest

/// What a job started by mpirun on a machine without a usable Open MPI library reports.
final class OpenMPILibraryTests: XCTestCase {
    func testAMissingLibraryNamesItAndSaysHowToInstallOpenMPI() {
        XCTAssertThrowsError(try OpenMPILibrary.open(names: ["libretort-no-such-mpi.so.40"])) { error in
            guard case .libraryMissing(let reason) = error as? ProcessGroupError else { return XCTFail("\(error)") }
            XCTAssert(reason.contains("libretort-no-such-mpi.so.40"), reason)
            let message = "\(error)"
            XCTAssert(message.hasPrefix("started by mpirun, but Open MPI's library could not be loaded"), message)
            XCTAssert(message.contains("apt-get install openmpi-bin libopenmpi-dev"), message)
        }
    }

    /// A library that loads but is not MPI (here the C library): the first function it lacks is named.
    func testALibraryWithoutMPIsFunctionsIsRefusedNamingTheFunction() {
        XCTAssertThrowsError(try OpenMPILibrary.open(names: ["libretort-no-such-mpi.so", "libc.so.6"])) { error in
            XCTAssertEqual(error as? ProcessGroupError, .symbolMissing("MPI_Init_thread"))
            XCTAssert("\(error)".contains("Retort runs under Open MPI 4 or 5 (libmpi.so.40)"), "\(error)")
        }
    }
}
