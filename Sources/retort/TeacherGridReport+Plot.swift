import Foundation
import RetortDistill
import RetortReport

extension TeacherGridReport {
    /// Student top-1 (solid) and the teacher checkpoint's top-1 (dashed, same colour) over the
    /// teacher epoch, one pair of lines per batch size, in percent.
    var plot: SVGLinePlot {
        var series: [SVGLinePlot.Series] = []
        for (index, column) in columns.enumerated() {
            let color = SVG.color(index)
            let rows = column.sweep.rows
            series.append(.init(name: "student, teacher batch \(column.batchSize)",
                                points: rows.map { (Double($0.checkpoint.epoch), $0.student.bestTop1 * 100) }, color: color))
            let taught = rows.compactMap { row in row.checkpoint.teacherTop1.map { (x: Double(row.checkpoint.epoch), y: $0 * 100) } }
            if !taught.isEmpty {
                series.append(.init(name: "teacher, batch \(column.batchSize)", points: taught, color: color, dashed: true))
            }
        }
        return SVGLinePlot(title: "\(student): top-1 by teacher epoch and batch size", xLabel: "teacher epoch", yLabel: "test top-1 (%)",
                           series: series)
    }

    /// Writes `sweep.md`, `sweep.json` and `sweep.svg` into `directory`.
    func writeWithPlot(to directory: URL) throws {
        try write(to: directory)
        try Data(plot.svg.utf8).write(to: directory.appendingPathComponent("sweep.svg"), options: .atomic)
    }
}
