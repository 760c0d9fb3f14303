import Foundation
import RetortDistill
import RetortReport

/// The page of a `retort sweep-teachers` folder (`sweep.json`): the student's top-1 against its
/// teacher checkpoint's top-1, a point per checkpoint labelled by the teacher epoch (one series per
/// teacher batch size for a grid), the grid's plot over teacher epochs, and the table.
enum SweepRunReport: RunFolderReport {
    static func describes(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("sweep.json").path)
    }

    static func sections(of folder: URL) throws -> [ReportSection] {
        let url = folder.appendingPathComponent("sweep.json")
        let grid: TeacherGridReport
        // A sweep of one run has `rows`; a grid has `columns`, one sweep per teacher batch size.
        if let one = try? JSONDecoder().decode(SweepReport.self, from: Data(contentsOf: url)) {
            grid = TeacherGridReport(student: one.student, columns: [GridColumn(batchSize: 0, sweep: one)], interrupted: one.interrupted)
        } else {
            grid = try PageFragment.decode(TeacherGridReport.self, from: url)
        }
        let (plot, labels) = teacherVersusStudent(grid)
        var figures = [labelled(plot, labels)]
        if grid.columns.count > 1 { figures.append(grid.plot.svg) }
        var sections = [ReportSection(title: "Teacher vs student accuracy", body: HTMLReport.figures(figures) + HTMLReport.paragraph(
            conclusion(grid)))]
        sections.append(ReportSection(title: "Students", body: table(grid)))
        return sections
    }

    /// Student top-1 over teacher top-1 (percent), a series per teacher run in teacher-epoch order,
    /// each point labelled `e<epoch>`; checkpoints without a recorded teacher top-1 are left out.
    static func teacherVersusStudent(_ grid: TeacherGridReport) -> (plot: SVGLinePlot, labels: [[String]]) {
        var series: [SVGLinePlot.Series] = [], labels: [[String]] = []
        for (index, column) in grid.columns.enumerated() {
            let rows = column.sweep.rows.filter { $0.checkpoint.teacherTop1 != nil }
            series.append(.init(name: column.batchSize > 0 ? "teacher batch \(column.batchSize)" : "\(column.sweep.teacher) checkpoints",
                                points: rows.map { ($0.checkpoint.teacherTop1! * 100, $0.student.bestTop1 * 100) },
                                color: SVG.color(index)))
            labels.append(rows.map { "e\($0.checkpoint.epoch)" })
        }
        return (SVGLinePlot(title: "\(grid.student): student top-1 by its teacher checkpoint's top-1", xLabel: "teacher top-1 (%)",
                            yLabel: "student top-1 (%)", series: series), labels)
    }

    /// `plot`'s SVG with `labels[s][i]` written beside point `i` of series `s`.
    static func labelled(_ plot: SVGLinePlot, _ labels: [[String]]) -> String {
        let axes = plot.axes, f = SVG.number
        var marks = ""
        for (series, texts) in zip(plot.series, labels) {
            for (point, text) in zip(series.points, texts) where point.x.isFinite && point.y.isFinite {
                marks += "<text x=\"\(f(axes.px(point.x)))\" y=\"\(f(axes.py(point.y) - 7))\" text-anchor=\"middle\" font-size=\"10\" "
                    + "fill=\"\(series.color)\">\(SVG.escaped(text))</text>\n"
            }
        }
        return String(plot.svg.dropLast(SVGAxes.close.count)) + marks + SVGAxes.close
    }

    static func conclusion(_ grid: TeacherGridReport) -> String {
        guard let best = grid.best else { return "No student has finished yet." }
        let teachers = grid.cells.filter { $0.row.checkpoint.teacherTop1 != nil }
        var text = "Points are labelled by teacher epoch. The best student, \(PageFragment.percent(best.row.student.bestTop1)), "
            + "learned from \(best.row.checkpoint.file) (teacher epoch \(best.row.checkpoint.epoch)"
            + (best.batchSize > 0 ? ", batch \(best.batchSize)" : "")
            + ", teacher top-1 \(PageFragment.percent(best.row.checkpoint.teacherTop1)))"
        var strongest: GridCell?
        for cell in teachers where strongest == nil || cell.row.checkpoint.teacherTop1! > strongest!.row.checkpoint.teacherTop1! {
            strongest = cell
        }
        if let strongest, strongest != best {
            text += "; the most accurate teacher checkpoint, \(strongest.row.checkpoint.file) "
                + "(\(PageFragment.percent(strongest.row.checkpoint.teacherTop1))), "
                + "taught \(PageFragment.percent(strongest.row.student.bestTop1))."
        } else {
            text += ", the most accurate teacher checkpoint."
        }
        return text
    }

    /// A row per student; a grid's rows start with the teacher's batch size.
    static func table(_ grid: TeacherGridReport) -> String {
        let isGrid = grid.cells.contains { $0.batchSize > 0 }
        let rows = grid.cells.map { cell in
            (isGrid ? ["\(cell.batchSize)"] : []) + [cell.row.checkpoint.file, "\(cell.row.checkpoint.epoch)",
             PageFragment.percent(cell.row.checkpoint.teacherTop1), PageFragment.percent(cell.row.student.bestTop1),
             PageFragment.percent(cell.row.student.agreement), PageFragment.number(cell.row.student.predictiveKL),
             PageFragment.number(cell.row.student.calibrationError)]
        }
        let header = ["checkpoint", "teacher epoch", "teacher top-1", "student top-1", "agreement", "pred. KL", "ECE"]
        return HTMLReport.table(header: (isGrid ? ["teacher batch"] : []) + header, rows: rows)
    }
}
