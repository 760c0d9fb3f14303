/// Several charts side by side in one SVG document (the training and test panels of one picture).
public struct SVGPanels {
    /// One chart: its SVG document and the size it declares.
    public struct Panel {
        public var svg: String
        public var width: Double
        public var height: Double

        public init(svg: String, width: Double, height: Double) { (self.svg, self.width, self.height) = (svg, width, height) }
    }

    public var panels: [Panel]

    public init(_ panels: [Panel]) { self.panels = panels }

    /// Each panel's offset from the left edge: the widths of the panels before it.
    public var offsets: [Double] { panels.indices.map { index in panels[..<index].reduce(0) { $0 + $1.width } } }

    /// The SVG document: the panels left to right, each a nested `<svg>` moved by its offset.
    public var svg: String {
        let f = SVG.number
        let width = panels.reduce(0) { $0 + $1.width }, height = panels.map(\.height).max() ?? 0
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
            + "viewBox=\"0 0 \(f(width)) \(f(height))\">\n"
        for (panel, offset) in zip(panels, offsets) {
            out += "<g transform=\"translate(\(f(offset)) 0)\">\n" + panel.svg + "</g>\n"
        }
        return out + SVGAxes.close
    }
}
