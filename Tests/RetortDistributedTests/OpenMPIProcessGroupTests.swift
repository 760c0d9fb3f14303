import RetortDistributed
import XCTest

final class OpenMPIProcessGroupTests: XCTestCase {
    /// A process mpirun did not start is a plain process: no group, and MPI is never loaded.
    func testAPlainProcessHasNoGroup() throws {
        XCTAssertNil(try OpenMPIProcessGroup.launched(environment: [:]))
        XCTAssertNil(try OpenMPIProcessGroup.launched(environment: ["PATH": "/usr/bin", "OMPI_MCA_btl": "self,tcp"]))
    }
}
