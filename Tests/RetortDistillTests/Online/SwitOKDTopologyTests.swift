import XCTest
import RetortDistill

/// `--topology`: the pairs of each topology, the default for two networks, and clear refusals.
final class SwitOKDTopologyTests: XCTestCase {
    func testPairsFollowTheModelOrder() {
        typealias Pair = SwitOKDTopology.Pair
        XCTAssertEqual(SwitOKDTopology.oneTeacherOneStudent.pairs, [Pair(teacher: 0, student: 1)])
        XCTAssertEqual(SwitOKDTopology.oneTeacherTwoStudents.pairs, [Pair(teacher: 0, student: 1), Pair(teacher: 0, student: 2)])
        XCTAssertEqual(SwitOKDTopology.twoTeachersOneStudent.pairs, [Pair(teacher: 0, student: 2), Pair(teacher: 1, student: 2)])
    }

    func testTwoNetworksDefaultToOneTeacherOneStudent() throws {
        XCTAssertEqual(try SwitOKDTopology.resolve(nil, networks: 2), .oneTeacherOneStudent)
        XCTAssertEqual(try SwitOKDTopology.resolve(nil, networks: nil), .oneTeacherOneStudent)
        XCTAssertEqual(try SwitOKDTopology.resolve("2t1s", networks: 3), .twoTeachersOneStudent)
        XCTAssertEqual(try SwitOKDTopology.resolve("1t2s", networks: nil), .oneTeacherTwoStudents)
    }

    func testRefusalsNameTheProblem() {
        func message(_ name: String?, _ networks: Int?) -> String {
            do { return "no error: \(try SwitOKDTopology.resolve(name, networks: networks))" } catch { return error.description }
        }
        let needs = "switokd with three networks needs --topology 1t2s (--models T,S1,S2) or 2t1s (--models T1,T2,S)"
        XCTAssert(message(nil, 3).contains(needs), message(nil, 3))
        XCTAssert(message("1t2s", 2).contains("--topology 1t2s trains 3 networks (--models T,S1,S2), got 2"), message("1t2s", 2))
        XCTAssert(message("1t1s", 3).contains("--topology 1t1s trains 2 networks"), message("1t1s", 3))
        XCTAssert(message("3t1s", 3).contains("topology must be 1t1s"), message("3t1s", 3))
        XCTAssert(message(nil, 4).contains("switokd trains two networks (--models T,S) or three"), message(nil, 4))
    }
}
