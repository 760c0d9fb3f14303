import Foundation

/// Helpers every chart shares: text escaping, number formatting, the palette.
public enum SVG {
    /// Colours for successive series (matplotlib's "tab10" order).
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// The palette's colour for the `index`-th series, cycling.
    public static func color(_ index: Int) -> String { palette[((index % palette.count) + palette.count) % palette.count] }

    /// Escapes text for an XML element or attribute (SVG and HTML both).
    public static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A coordinate with one decimal; a non-finite value (which would make the SVG invalid) becomes 0.
    public static func number(_ value: Double) -> String { String(format: "%.1f", value.isFinite ? value : 0) }

    /// The smallest and largest finite value, widened when they are equal; (0, 1) without any.
    public static func range(_ values: [Double]) -> ClosedRange<Double> {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return 0...1 }
        return low == high ? (low - 1)...(high + 1) : low...high
    }
}
