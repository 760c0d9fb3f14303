import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `retort inspect penultimate` draws one point per image of the three classes in each split's
/// panel, prints how tight the clusters are, and refuses classes it cannot draw.
final class InspectPenultimateTests: XCTestCase {
    /// The circles of an SVG document in order: (fill, stroke) of each.
    private final class Circles: NSObject, XMLParserDelegate {
        var marks: [(fill: String, stroke: String?)] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "circle" { marks.append((attributes["fill"] ?? "", attributes["stroke"])) }
        }
    }

    private func labels(_ folder: URL, _ split: String) throws -> [Int] {
        try Data(contentsOf: folder.appendingPathComponent("\(split)-labels-idx1-ubyte")).dropFirst(8).map(Int.init)
    }

    func testOnePointPerImageOfTheThreeClassesInEachPanel() throws {
        let files = try InspectFixture.files()
        let out = InspectFixture.output(self, "penultimate.svg")
        let run = try RetortProcess.run(["inspect", "penultimate", "--model", "plane2", "--weights", files.weights.path,
                                         "--classes", "0,Trouser,ankle-boot", "--data-dir", files.data.path, "--out", out.path])
        XCTAssertEqual(run.status, 0, run.output + run.errors)
        XCTAssert(run.output.contains("wrote \(out.path)"), run.output)
        let parser = XMLParser(data: try Data(contentsOf: out))
        let circles = Circles()
        parser.delegate = circles
        XCTAssert(parser.parse(), "\(String(describing: parser.parserError))")
        let palette = ["#1f77b4", "#d62728", "#2ca02c"]
        // Train panel: filled dots; test panel: rings; each with a legend sample per class.
        let train = try labels(files.data, "train"), test = try labels(files.data, "t10k")
        for (index, label) in [0, 1, 9].enumerated() {
            let dots = circles.marks.filter { $0.fill == palette[index] }.count
            let rings = circles.marks.filter { $0.fill == "none" && $0.stroke == palette[index] }.count
            XCTAssertEqual(dots, train.filter { $0 == label }.count + 1, "class \(label) in the training panel")
            XCTAssertEqual(rings, test.filter { $0 == label }.count + 1, "class \(label) in the test panel")
            XCTAssertGreaterThan(dots, 10)
        }
        for split in ["train", "test"] {
            let count = (split == "train" ? train : test).filter { [0, 1, 9].contains($0) }.count
            XCTAssert(run.output.contains("\(split): \(count) points; mean distance to the class centroid 0 t-shirt "), run.output)
            XCTAssert(run.output.range(of: #"spread ratio \d+\.\d{3} \(smaller: tighter clusters\)"#, options: .regularExpression) != nil,
                      run.output)
        }
    }

    func testClassesItCannotDrawAreRefused() throws {
        let files = try InspectFixture.files()
        let common = ["inspect", "penultimate", "--model", "plane2", "--weights", files.weights.path, "--data-dir", files.data.path,
                      "--out", InspectFixture.output(self, "x.svg").path]
        for (classes, message) in [("0,1", "--classes needs three different classes, got '0,1' (2 given)"),
                                   ("0,1,2,3", "--classes needs three different classes"),
                                   ("0,1,1", "--classes needs three different classes"),
                                   ("0,1,hat", "--classes: no class 'hat'; give a class number or name "
                                               + "(fashion-mnist classes: t-shirt, trouser"),
                                   ("0,1,10", "--classes 0,1,10: plane2 has 10 classes, numbered 0 to 9")] {
            let run = try RetortProcess.run(common + ["--classes", classes])
            XCTAssertEqual(run.status, 2, classes)
            XCTAssert(run.errors.contains(message), "\(classes): \(run.errors)")
        }
        let none = try RetortProcess.run(Array(common.prefix(8)))
        XCTAssertEqual(none.status, 2)
        XCTAssert(none.errors.contains("inspect penultimate needs --classes a,b,c"), none.errors)
    }
}
