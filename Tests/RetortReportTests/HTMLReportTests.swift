import Foundation
import XCTest
import RetortReport

/// The page is well-formed XML, self-contained (no scripts, no outside references), fits a phone
/// and prints, and shows its sections in order with their text escaped.
final class HTMLReportTests: XCTestCase {
    private let chart = SVGLinePlot(title: "loss", xLabel: "epoch", yLabel: "loss",
                                    series: [.init(name: "train", points: [(1, 2), (2, 1)], color: SVG.color(0))]).svg

    private var report: HTMLReport {
        HTMLReport(title: "run <a> & b", subtitle: "retort distill · plane2 \"x\"", sections: [
            ReportSection(title: "Summary", body: HTMLReport.paragraph("Best 87.5% <of> 90% & more")),
            ReportSection(title: "Curves", body: HTMLReport.figures([chart, chart])),
            ReportSection(title: "Settings",
                          body: HTMLReport.table(header: ["setting", "value"], rows: [["model", "plane2"], ["lr", "0.05"]])),
        ])
    }

    func testThePageIsWellFormedAndSelfContained() throws {
        let html = report.html
        let page = try XMLElements(html)
        XCTAssertEqual(page.elements.first?.name, "html")
        XCTAssertEqual(page.named("html").first?["xmlns"], "http://www.w3.org/1999/xhtml")
        XCTAssertEqual(page.named("meta").first { $0["name"] == "viewport" }?["content"], "width=device-width, initial-scale=1")
        XCTAssertEqual(page.named("meta").first { $0["charset"] != nil }?["charset"], "utf-8")
        XCTAssert(page.named("script").isEmpty && page.named("link").isEmpty && page.named("img").isEmpty, "nothing loads")
        XCTAssertFalse(html.contains("src="), "no outside sources")
        XCTAssertFalse(html.contains("url("), "no outside resources in the CSS")
        for link in page.named("a") { XCTAssert(link["href"]?.hasPrefix("#") ?? false, "links stay on the page: \(link)") }
        XCTAssertEqual(page.named("svg").count, 2)
    }

    func testItFitsAPhoneAndPrints() throws {
        let style = try XCTUnwrap(try XMLElements(report.html).texts.first { $0.contains("max-width") })
        XCTAssert(style.contains("body {") && style.contains("max-width: 1100px"), "the text column has a width limit")
        XCTAssert(style.contains("svg { max-width: 100%; height: auto; }"), "charts shrink to a narrow screen")
        XCTAssert(style.contains("overflow-x: auto"), "wide tables scroll instead of widening the page")
        let print = try XCTUnwrap(style.range(of: "@media print {")).upperBound
        let rules = style[print...]
        XCTAssert(rules.contains("break-inside: avoid") && rules.contains("page-break-inside: avoid"), "charts and rows stay whole")
        XCTAssert(rules.contains("nav { display: none; }"), "the list of contents is left out of print")
    }

    func testHeaderSectionsAndTablesInOrderWithEscapedText() throws {
        let page = try XMLElements(report.html)
        XCTAssertEqual(page.texts.filter { $0 == "run <a> & b" }.count, 2, "the title and the heading")
        XCTAssert(page.texts.contains("retort distill · plane2 \"x\""), "\(page.texts)")
        XCTAssertEqual(page.named("h2").count, 3)
        XCTAssertEqual(page.named("section").map { $0["id"] }, ["section-1", "section-2", "section-3"])
        XCTAssertEqual(page.named("a").map { $0["href"] }, ["#section-1", "#section-2", "#section-3"])
        // The headings come after the list of contents, which names them first.
        let summary = try XCTUnwrap(page.texts.lastIndex(of: "Summary")), settings = try XCTUnwrap(page.texts.lastIndex(of: "Settings"))
        XCTAssertLessThan(summary, settings)
        XCTAssert(page.texts.contains("Best 87.5% <of> 90% & more"))
        XCTAssertEqual(page.named("th").count, 2)
        XCTAssertEqual(page.named("td").map { $0["class"] }, [nil, nil, nil, "number"], "numbers are aligned, names are not")
        XCTAssertEqual(["87.50%", "+0.84 pp", "−2.1", "-0.3", ".5", "plane2", "-", "+", "", "T-shirt"].map(HTMLReport.isNumber),
                       [true, true, true, true, true, false, false, false, false, false])
        XCTAssert(page.texts.suffix(from: settings).starts(with: ["Settings", "setting", "value", "model", "plane2", "lr", "0.05"]),
                  "\(page.texts.suffix(from: settings))")
    }

    func testAOneSectionPageHasNoListOfContents() throws {
        let page = try XMLElements(HTMLReport(title: "t", subtitle: "s", sections: [ReportSection(title: "only", body: "<p>x</p>")]).html)
        XCTAssert(page.named("nav").isEmpty)
        XCTAssertEqual(page.named("section").count, 1)
    }

    func testWriteReplacesThePage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("html-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("report.html")
        try "old".write(to: url, atomically: true, encoding: .utf8)
        try report.write(to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), report.html)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["report.html"], "no temporary file left")
    }
}
