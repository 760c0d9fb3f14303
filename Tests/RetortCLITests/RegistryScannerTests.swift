import XCTest
@testable import RegistryGenerator

/// The build-time generator finds the conformances to a target's `Registered…` protocols.
final class RegistryScannerTests: XCTestCase {
    func testFindsMarkerConformancesOnASample() {
        let sources = [
            """
            public protocol RegisteredMethod { static var method: Int { get } }
            protocol RegisteredCommand {}
            protocol Unrelated {}
            """,
            """
            extension KnowledgeDistillation: RegisteredMethod {
                public static let method = 1
            }
            public struct Dummy: DistillationLoss, RegisteredMethod, Sendable { }
            enum TrainCommand: RegisteredCommand {}
            final class Outer<T>: Unrelated where T: Equatable {}
            // extension Commented: RegisteredMethod {}
            /* enum Blocked: RegisteredCommand {} */
            extension Other: Unrelated {}
            """,
        ]
        let scanner = RegistryScanner(sources: sources)
        XCTAssertEqual(scanner.conformances, ["RegisteredMethod": ["Dummy", "KnowledgeDistillation"],
                                              "RegisteredCommand": ["TrainCommand"]])
        let methods = "static let registeredMethod: [any RegisteredMethod.Type] = [\n        Dummy.self,\n        KnowledgeDistillation.self,\n    ]"
        XCTAssert(scanner.swift.contains(methods), scanner.swift)
        let commands = "static let registeredCommand: [any RegisteredCommand.Type] = [\n        TrainCommand.self,\n    ]"
        XCTAssert(scanner.swift.contains(commands), scanner.swift)
    }

    func testAMarkerWithoutConformancesGivesAnEmptyList() {
        let scanner = RegistryScanner(sources: ["protocol RegisteredThing {}"])
        XCTAssertEqual(scanner.conformances, ["RegisteredThing": []])
        XCTAssert(scanner.swift.contains("static let registeredThing: [any RegisteredThing.Type] = [\n    ]"), scanner.swift)
    }
}
