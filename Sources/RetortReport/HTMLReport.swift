import Foundation
import RetortCheckpoint

/// A self-contained report page: a header (title and a subtitle line), a list of contents, and
/// sections of inline SVG, tables and paragraphs. The page is well-formed XML (XHTML-compatible),
/// carries its CSS inline and references nothing outside itself: no scripts, fonts, images or
/// links other than to its own sections. It fits a phone's screen (viewport, `max-width`, SVG
/// scaled to the width) and prints (a print stylesheet that keeps charts and table rows whole).
public struct HTMLReport {
    public var title: String
    public var subtitle: String
    public var sections: [ReportSection]

    public init(title: String, subtitle: String, sections: [ReportSection]) {
        (self.title, self.subtitle, self.sections) = (title, subtitle, sections)
    }

    /// The stylesheet: screen first, then print.
    static let style = """
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
          line-height: 1.45; color: #222; background: #fff; max-width: 1100px; margin: 0 auto; padding: 0.8rem; }
        header h1 { font-size: 1.5rem; margin: 0.2rem 0; }
        .subtitle { color: #555; margin: 0 0 0.8rem 0; overflow-wrap: anywhere; }
        nav { font-size: 0.9rem; margin-bottom: 1rem; }
        nav a { margin-right: 0.9rem; color: #1f5f9f; white-space: nowrap; }
        section { margin: 1.6rem 0; }
        h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
        svg { max-width: 100%; height: auto; }
        .figures { display: flex; flex-wrap: wrap; gap: 0.8rem; align-items: flex-start; }
        .table { overflow-x: auto; }
        table { border-collapse: collapse; font-size: 0.9rem; margin: 0.4rem 0; }
        th, td { border-bottom: 1px solid #e3e3e3; padding: 0.2rem 0.6rem; text-align: left; vertical-align: top; }
        th { background: #f4f4f4; }
        td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .note { color: #555; font-size: 0.9rem; }
        @media print {
          body { max-width: none; padding: 0; font-size: 10pt; }
          nav { display: none; }
          h2 { break-after: avoid; page-break-after: avoid; }
          svg, tr, .figures > * { break-inside: avoid; page-break-inside: avoid; }
          section { break-before: auto; }
          a { color: inherit; text-decoration: none; }
        }
        @page { margin: 1.5cm; }
        """

    /// The page.
    public var html: String {
        let e = SVG.escaped
        var out = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>\(e(title))</title>\n"
        out += "<style>\n\(Self.style)\n</style>\n</head>\n<body>\n"
        out += "<header>\n<h1>\(e(title))</h1>\n<p class=\"subtitle\">\(e(subtitle))</p>\n</header>\n"
        if sections.count > 1 {
            out += "<nav>" + sections.indices.map { "<a href=\"#section-\($0 + 1)\">\(e(sections[$0].title))</a>" }.joined(separator: " ")
                + "</nav>\n"
        }
        for (index, section) in sections.enumerated() {
            out += "<section id=\"section-\(index + 1)\">\n<h2>\(e(section.title))</h2>\n\(section.body)\n</section>\n"
        }
        return out + "</body>\n</html>\n"
    }

    /// Writes the page to `url` atomically (readers see the previous page or this one).
    public func write(to url: URL) throws {
        try AtomicFile.write(html, to: url)
    }

    /// A table fragment: a header row and body rows of text (escaped); cells that start like a number
    /// (a digit, a sign) are right-aligned and kept on one line. Wide tables scroll sideways on a
    /// narrow screen.
    public static func table(header: [String], rows: [[String]]) -> String {
        let e = SVG.escaped
        var out = "<div class=\"table\"><table>\n<thead><tr>" + header.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr>" + row.map { "<td\(isNumber($0) ? " class=\"number\"" : "")>\(e($0))</td>" }.joined() + "</tr>\n"
        }
        return out + "</tbody>\n</table></div>"
    }

    /// Whether a table cell reads as a number: `87.50%`, `+0.84 pp`, `−2.1`, `0.05`.
    public static func isNumber(_ cell: String) -> Bool {
        guard let first = cell.first else { return false }
        let rest = cell.dropFirst()
        return first.isNumber || ("+-−.".contains(first) && (rest.first?.isNumber ?? false || rest.first == "."))
    }

    /// A paragraph of text (escaped); `note` sets it in the smaller, grey style of remarks.
    public static func paragraph(_ text: String, note: Bool = false) -> String {
        "<p\(note ? " class=\"note\"" : "")>\(SVG.escaped(text))</p>"
    }

    /// Charts side by side, wrapping onto the next line when the page is narrow.
    public static func figures(_ svgs: [String]) -> String {
        "<div class=\"figures\">\n" + svgs.joined() + "</div>"
    }
}
