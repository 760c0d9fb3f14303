import Foundation
import XCTest
import RetortReport

/// Strips cover the steps of each mode, one row per switch; switches are counted; epoch starts
/// are drawn where they begin.
final class SVGModeTimelineTests: XCTestCase {
    func testStripsFollowTheModesStepByStep() throws {
        let modes = ["expert", "expert", "learning", "learning", "learning", "expert"]
        let timeline = SVGModeTimeline(title: "modes", tracks: [.init(name: "T→S1", modes: modes),
                                                                .init(name: "T→S2", modes: Array(repeating: "learning", count: 6))],
                                       modeColors: [("expert", "#ff7f0e"), ("learning", "#1f77b4")], epochStarts: [4])
        XCTAssertEqual(timeline.tracks[0].switches, 2)
        XCTAssertEqual(timeline.tracks[1].switches, 0)
        XCTAssertEqual(timeline.tracks[0].runs.map(\.count), [2, 3, 1])
        let svg = try XMLElements(timeline.svg)
        let axes = timeline.axes
        XCTAssertEqual(axes.x, 0...6)
        let strips = svg.named("rect").filter { $0["height"] != "10" && $0["fill"] != "white" }
        XCTAssertEqual(strips.count, 4, "three runs, then one")
        let first = strips.prefix(3).map { (x: Double($0["x"]!)!, width: Double($0["width"]!)!, y: Double($0["y"]!)!, fill: $0["fill"]!) }
        XCTAssertEqual(first.map(\.fill), ["#ff7f0e", "#1f77b4", "#ff7f0e"])
        XCTAssertEqual(first[0].x, axes.px(0), accuracy: 0.1)
        XCTAssertEqual(first[1].x, axes.px(2), accuracy: 0.1, "learning starts at step 3")
        XCTAssertEqual(first[2].x + first[2].width, axes.px(6), accuracy: 0.1, "the last step ends the axis")
        XCTAssertEqual(first[1].width / first[0].width, 1.5, accuracy: 0.01)
        let second = strips[3]
        XCTAssertGreaterThan(Double(second["y"]!)!, first[0].y, "the second switch's strip is below the first")
        XCTAssertEqual(Double(second["width"]!)!, axes.px(6) - axes.px(0), accuracy: 0.1)
        // The epoch boundary: before step 4.
        let boundary = try XCTUnwrap(svg.named("line").first { $0["stroke-dasharray"] != nil })
        XCTAssertEqual(Double(boundary["x1"]!)!, axes.px(3), accuracy: 0.1)
        for text in ["T→S1", "T→S2", "2 switches; 3 expert, 3 learning", "0 switches; 0 expert, 6 learning", "epoch 2", "expert",
                     "learning"] {
            XCTAssert(svg.texts.contains(text), "\(text) in \(svg.texts)")
        }
    }

    func testNoStepsStillDrawsAValidChart() throws {
        let timeline = SVGModeTimeline(title: "empty", tracks: [.init(name: "switch", modes: [])], modeColors: [("expert", "#ff7f0e")],
                                       epochStarts: [3])
        let text = timeline.svg
        XCTAssertFalse(text.contains("nan") || text.contains("inf"), text)
        let svg = try XMLElements(text)
        XCTAssertTrue(svg.named("line").allSatisfy { $0["stroke-dasharray"] == nil }, "no epoch line past the steps")
    }
}
