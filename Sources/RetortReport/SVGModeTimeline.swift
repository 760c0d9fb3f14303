import Foundation

/// The modes of switching objectives over the steps of a run (SwitOKD's expert and learning modes):
/// a strip per switch, coloured by the mode of each step, with the switch's number of mode changes,
/// and the epoch boundaries as vertical lines. Steps count from 1 over the whole run.
public struct SVGModeTimeline {
    /// One switch (a teacher–student pair) and its mode at every step, in order.
    public struct Track {
        public var name: String
        public var modes: [String]

        public init(name: String, modes: [String]) { (self.name, self.modes) = (name, modes) }

        /// Steps whose mode differs from the step before.
        public var switches: Int { zip(modes, modes.dropFirst()).filter { $0 != $1 }.count }

        /// Runs of equal modes: the first step's index (0-based), the number of steps and the mode.
        public var runs: [(start: Int, count: Int, mode: String)] {
            var runs: [(start: Int, count: Int, mode: String)] = []
            for (index, mode) in modes.enumerated() {
                if let last = runs.last, last.mode == mode { runs[runs.count - 1].count += 1 } else { runs.append((index, 1, mode)) }
            }
            return runs
        }
    }

    public var title: String
    public var tracks: [Track]
    /// Each mode's colour, in the legend's order; a mode not listed is grey.
    public var modeColors: [(mode: String, color: String)]
    /// The global step (1-based) each epoch after the first starts at.
    public var epochStarts: [Int]
    public var width: Double
    /// The height of one strip's row.
    public var rowHeight = 48.0

    public init(title: String, tracks: [Track], modeColors: [(mode: String, color: String)], epochStarts: [Int] = [],
                width: Double = 760) {
        (self.title, self.tracks, self.modeColors, self.epochStarts, self.width) = (title, tracks, modeColors, epochStarts, width)
    }

    /// The steps shown: the longest track's.
    public var steps: Int { tracks.map(\.modes.count).max() ?? 0 }

    /// The axes: x over the steps (step `s` spans `s − 1 … s`), y counts rows, row 0 at the top.
    public var axes: SVGAxes {
        let longest = tracks.map(\.name.count).max() ?? 0
        var axes = SVGAxes(title: title, xLabel: "step (\(steps) in all)", yLabel: "", x: 0...Double(max(steps, 1)),
                           y: 0...Double(max(tracks.count, 1)), width: width, height: 0)
        axes.left = min(max(64, 12 + Double(longest) * 7), width / 3)
        axes.right = 150
        axes.showsTicks = false
        axes.height = axes.top + axes.bottom + rowHeight * Double(max(tracks.count, 1))
        return axes
    }

    /// The pixel rectangle of a run of `count` steps from step index `start` (0-based) in row `row`.
    public func strip(row: Int, start: Int, count: Int) -> (x: Double, y: Double, width: Double, height: Double) {
        let axes = axes
        let top = axes.py(Double(tracks.count - row)) + rowHeight * 0.15
        return (axes.px(Double(start)), top, axes.px(Double(start + count)) - axes.px(Double(start)), rowHeight * 0.4)
    }

    /// The colour of `mode`.
    public func color(of mode: String) -> String { modeColors.first { $0.mode == mode }?.color ?? "#999999" }

    /// The SVG document.
    public var svg: String {
        let axes = axes
        let f = SVG.number
        var out = axes.open
        for (row, track) in tracks.enumerated() {
            for run in track.runs {
                let rect = strip(row: row, start: run.start, count: run.count)
                out += "<rect x=\"\(f(rect.x))\" y=\"\(f(rect.y))\" width=\"\(f(rect.width))\" height=\"\(f(rect.height))\" "
                    + "fill=\"\(color(of: run.mode))\"/>\n"
            }
            let name = strip(row: row, start: 0, count: 0)
            out += "<text x=\"\(f(axes.left - 6))\" y=\"\(f(name.y + name.height / 2 + 4))\" text-anchor=\"end\">"
                + "\(SVG.escaped(track.name))</text>\n"
            let counts = modeColors.map { mode in "\(track.modes.filter { $0 == mode.mode }.count) \(mode.mode)" }
            let note = "\(track.switches) switch\(track.switches == 1 ? "" : "es"); " + counts.joined(separator: ", ")
            out += "<text x=\"\(f(axes.left))\" y=\"\(f(name.y + name.height + 13))\" font-size=\"10\">\(SVG.escaped(note))</text>\n"
        }
        for (index, start) in epochStarts.enumerated() where start > 1 && start <= steps {
            let x = axes.px(Double(start - 1))
            out += "<line x1=\"\(f(x))\" y1=\"\(f(axes.top))\" x2=\"\(f(x))\" y2=\"\(f(axes.top + axes.plotHeight))\" stroke=\"black\" "
                + "stroke-dasharray=\"4 3\"/>\n"
            out += "<text x=\"\(f(x + 3))\" y=\"\(f(axes.top - 4))\" font-size=\"10\">epoch \(index + 2)</text>\n"
        }
        for (index, mode) in modeColors.enumerated() { out += axes.legendSwatch(row: index, name: mode.mode, color: mode.color) }
        return out + SVGAxes.close
    }
}
