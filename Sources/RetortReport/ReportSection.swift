/// One part of a report page: a heading and its body, an HTML fragment (inline SVG, tables,
/// paragraphs) that is well-formed XML on its own.
public struct ReportSection: Equatable, Sendable {
    public var title: String
    public var body: String

    public init(title: String, body: String) { (self.title, self.body) = (title, body) }
}
