import Foundation
import RetortReport

/// What a report page shows of one kind of run folder, read from the files the run wrote.
protocol RunFolderReport {
    /// Whether `folder` holds this kind of run (by the files its command writes).
    static func describes(_ folder: URL) -> Bool
    /// The page's sections, in order.
    static func sections(of folder: URL) throws -> [ReportSection]
    /// The line under the page's title: what ran, on which data and device; nil: the folder's path.
    static func subtitle(of folder: URL) -> String?
}

extension RunFolderReport {
    static func subtitle(of folder: URL) -> String? { nil }
}

/// The kinds of run folders a report knows, most specific first: the first that describes a
/// folder writes its page.
enum RunFolderReports {
    static let all: [any RunFolderReport.Type] = [ChainRunReport.self, SweepRunReport.self, PruneRunReport.self, OnlineRunReport.self,
                                                  TrainingRunReport.self]

    /// The first kind in ``all`` that describes `folder`; nil when none does.
    static func kind(of folder: URL) -> (any RunFolderReport.Type)? { all.first { $0.describes(folder) } }
}
