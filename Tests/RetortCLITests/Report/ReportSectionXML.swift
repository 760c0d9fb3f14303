import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RetortReport
import XCTest

/// The sections of a report parsed as XML: each body must be a well-formed fragment; lists the
/// elements by name and the text the page shows.
struct ReportSectionXML {
    let document: XMLDocument

    init(_ section: ReportSection, file: StaticString = #filePath, line: UInt = #line) throws {
        do {
            document = try XMLDocument(xmlString: "<div>\(section.body)</div>")
        } catch {
            XCTFail("section \(section.title) is not well-formed XML: \(error)\n\(section.body)", file: file, line: line)
            throw error
        }
        XCTAssertNil(section.body.lowercased().range(of: #"\b(nan|inf)\b"#, options: .regularExpression),
                     "\(section.title): a non-finite number", file: file, line: line)
    }

    /// Every element named `name` (SVG or HTML), in document order.
    func elements(_ name: String) -> [XMLElement] {
        func walk(_ node: XMLNode) -> [XMLElement] {
            let own = (node as? XMLElement).map { ($0.localName ?? $0.name) == name ? [$0] : [] } ?? []
            return own + (node.children ?? []).flatMap(walk)
        }
        return document.rootElement().map(walk) ?? []
    }

    /// The value of `element`'s attribute `name` (read from its list: looking it up by name fails on
    /// elements in the SVG namespace).
    static func value(_ element: XMLElement, _ name: String) -> String? {
        element.attributes?.first { $0.name == name }?.stringValue
    }

    /// The trimmed text of every element that holds some, in document order.
    var texts: [String] {
        ((try? document.nodes(forXPath: "//text()")) ?? []).compactMap { $0.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }

    /// The body rows of the tables, each as its cells' text.
    var tableRows: [[String]] {
        elements("tr").map { row in (row.children ?? []).filter { $0.name == "td" }.map { $0.stringValue ?? "" } }.filter { !$0.isEmpty }
    }

    /// The number of points of each polyline, in document order.
    var polylinePoints: [Int] {
        elements("polyline").map { (Self.value($0, "points") ?? "").split(separator: " ").count }
    }
}

extension XCTestCase {
    /// A fresh folder for a report test's runs, removed when the test ends.
    func reportTestFolder(_ name: String) -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("retort-\(name)-report-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }
}
