import Foundation
import XCTest

extension XMLElements {
    /// The attributes of the elements whose `class` is `name`, in document order.
    func classed(_ name: String) -> [[String: String]] { elements.filter { $0.attributes["class"] == name }.map(\.attributes) }
}

/// The attribute `key` of an element as a number; fails the test when it is missing or not a number.
func number(_ attributes: [String: String], _ key: String) throws -> Double {
    try XCTUnwrap(Double(try XCTUnwrap(attributes[key], "\(key) in \(attributes)")), "\(key) in \(attributes)")
}
