import Foundation

/// Models as boxes and what passes between them as labelled arrows: the stages of a distillation
/// chain (teacher → assistants → student, left to right), each box with the model's name and a few
/// lines (parameters, test top-1), each arrow (a hop) with its own lines (the student's agreement
/// with its teacher, the accuracy gained or lost). A box in row 1 sits under row 0 (the student
/// distilled directly from the teacher); an arrow between rows bends down, then right.
public struct SVGStageDiagram {
    /// One model.
    public struct Stage {
        public var name: String
        /// Text under the name, one line each.
        public var lines: [String]
        /// Left to right, from 0.
        public var column: Int
        /// 0: the chain; 1: below it.
        public var row: Int

        public init(name: String, lines: [String], column: Int, row: Int = 0) {
            (self.name, self.lines, self.column, self.row) = (name, lines, column, row)
        }
    }

    /// An arrow from one stage (the teacher) to another (its student).
    public struct Hop {
        /// Indices into ``SVGStageDiagram/stages``.
        public var from: Int, to: Int
        /// Text beside the arrow, one line each.
        public var lines: [String]
        /// The arrow's colour.
        public var color: String

        public init(from: Int, to: Int, lines: [String], color: String = "#444444") {
            (self.from, self.to, self.lines, self.color) = (from, to, lines, color)
        }
    }

    public var title: String
    public var stages: [Stage]
    public var hops: [Hop]
    public var boxWidth = 150.0
    public var boxHeight = 76.0
    /// Room between two columns, for an arrow and its labels.
    public var gap = 130.0
    /// Room between two rows.
    public var rowGap = 70.0
    let margin = 20.0, titleHeight = 36.0

    public init(title: String, stages: [Stage], hops: [Hop]) { (self.title, self.stages, self.hops) = (title, stages, hops) }

    public var width: Double {
        let columns = Double((stages.map(\.column).max() ?? 0) + 1)
        return 2 * margin + columns * boxWidth + (columns - 1) * gap
    }

    public var height: Double {
        let rows = Double((stages.map(\.row).max() ?? 0) + 1)
        return titleHeight + margin + rows * boxHeight + (rows - 1) * rowGap
    }

    /// The pixel rectangle of stage `index`'s box.
    public func box(_ index: Int) -> (x: Double, y: Double, width: Double, height: Double) {
        let stage = stages[index]
        return (margin + Double(stage.column) * (boxWidth + gap), titleHeight + Double(stage.row) * (boxHeight + rowGap),
                boxWidth, boxHeight)
    }

    /// The points of hop `hop`'s arrow: from the teacher's right edge straight to the student's left
    /// edge in the same row, or from the teacher's bottom down to the student's row, then right.
    public func path(_ hop: Hop) -> [(x: Double, y: Double)] {
        let a = box(hop.from), b = box(hop.to)
        let target = (x: b.x, y: b.y + b.height / 2)
        if stages[hop.from].row == stages[hop.to].row { return [(a.x + a.width, a.y + a.height / 2), target] }
        let down = a.x + a.width / 2
        return [(down, a.y + a.height), (down, target.y), target]
    }

    /// The SVG document.
    public var svg: String {
        let f = SVG.number
        var out = SVGAxes.canvas(width: width, height: height, title: title)
        for (index, stage) in stages.enumerated() {
            let b = box(index)
            out += "<rect x=\"\(f(b.x))\" y=\"\(f(b.y))\" width=\"\(f(b.width))\" height=\"\(f(b.height))\" rx=\"6\" "
                + "fill=\"#f2f6fb\" stroke=\"\(SVG.color(0))\" stroke-width=\"1.5\"/>\n"
            out += "<text x=\"\(f(b.x + b.width / 2))\" y=\"\(f(b.y + 20))\" text-anchor=\"middle\" font-weight=\"bold\">"
                + "\(SVG.escaped(stage.name))</text>\n"
            for (line, text) in stage.lines.enumerated() {
                out += "<text x=\"\(f(b.x + b.width / 2))\" y=\"\(f(b.y + 38 + Double(line) * 16))\" text-anchor=\"middle\">"
                    + "\(SVG.escaped(text))</text>\n"
            }
        }
        for hop in hops where stages.indices.contains(hop.from) && stages.indices.contains(hop.to) {
            let points = path(hop)
            out += "<polyline fill=\"none\" stroke=\"\(hop.color)\" stroke-width=\"2\" points=\""
                + points.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ") + "\"/>\n"
            // The last segment is horizontal, pointing right: its head, and the labels above it.
            let start = points[points.count - 2], end = points[points.count - 1]
            out += "<polygon points=\"\(f(end.x)),\(f(end.y)) \(f(end.x - 10)),\(f(end.y - 5)) \(f(end.x - 10)),\(f(end.y + 5))\" "
                + "fill=\"\(hop.color)\"/>\n"
            let middle = (start.x + end.x) / 2, base = end.y - 8 - Double(hop.lines.count - 1) * 15
            for (line, text) in hop.lines.enumerated() {
                out += "<text x=\"\(f(middle))\" y=\"\(f(base + Double(line) * 15))\" text-anchor=\"middle\" font-size=\"11\" "
                    + "fill=\"\(hop.color)\">\(SVG.escaped(text))</text>\n"
            }
        }
        return out + "</svg>\n"
    }
}
