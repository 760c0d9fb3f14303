import Foundation

/// The picture of Müller, Kornblith & Hinton, "When does label smoothing help?" (NeurIPS 2019, §2):
/// pick three classes a, b, c; find an orthonormal basis of the plane through their templates
/// `w_a`, `w_b`, `w_c` (rows of the last layer's weight, ``PenultimateLayer/templates``); project
/// the penultimate-layer activations of those classes' examples onto that plane.
///
/// Construction: the plane is `w_a + span(w_b − w_a, w_c − w_a)`. Gram–Schmidt gives its basis
/// `e₁ = (w_b − w_a) / ‖w_b − w_a‖`, `e₂ = r / ‖r‖` with `r = (w_c − w_a) − ((w_c − w_a)·e₁) e₁`, and an
/// activation `h` lands at `(e₁·(h − w_a), e₂·(h − w_a))`, its orthogonal projection in plane
/// coordinates with `w_a` at the origin. So `x` is the logit margin `z_b − z_a` up to a scale and a
/// shift: the same picture for any origin in the plane. (The paper appends the bias to `w` and a 1
/// to `h`; the bias only shifts the picture, so the templates here are the weight rows alone.)
///
/// Label smoothing pulls each training example towards the same distance from every wrong class's
/// template, so its classes form tight clusters (Figure 1): ``Spread/ratio`` says how tight.
public struct PenultimateProjection {
    /// One projected example.
    public struct Point: Equatable {
        public var label: Int
        public var x: Double
        public var y: Double

        public init(label: Int, x: Double, y: Double) { (self.label, self.x, self.y) = (label, x, y) }
    }

    /// How tight the classes are in the plane.
    public struct Spread: Equatable {
        /// For each class (in ``PenultimateProjection/classes`` order): the mean distance of its
        /// points to their centroid.
        public var perClass: [Double]
        /// The mean distance between the three class centroids.
        public var centroidDistance: Double

        /// Mean within-class distance over mean between-centroid distance: the smaller, the tighter
        /// the clusters are for how far apart they lie.
        public var ratio: Double { perClass.reduce(0, +) / Double(max(perClass.count, 1)) / max(centroidDistance, .leastNormalMagnitude) }
    }

    /// The three classes a, b, c.
    public let classes: [Int]
    /// `w_a`: the plane's origin.
    public let origin: [Double]
    /// `e₁`, `e₂`: an orthonormal basis of the plane.
    public let basis: [[Double]]

    /// The plane through the templates of `classes` (three distinct rows of `templates`).
    public init(templates: [[Float]], classes: [Int]) throws {
        guard classes.count == 3, Set(classes).count == 3, classes.allSatisfy({ templates.indices.contains($0) }) else {
            throw DiagnosticError.invalidClasses(classes, classes: templates.count)
        }
        let w = classes.map { templates[$0].map(Double.init) }
        let u = zip(w[1], w[0]).map(-), v = zip(w[2], w[0]).map(-)
        let uNorm = Self.norm(u)
        let e1 = u.map { $0 / uNorm }
        let along = Self.dot(v, e1)
        let r = zip(v, e1).map { $0 - along * $1 }
        let rNorm = Self.norm(r)
        // A plane needs the second edge to leave the first one's line by more than rounding.
        guard uNorm > 0, rNorm > 1e-9 * max(Self.norm(v), 1e-300) else { throw DiagnosticError.collinearTemplates(classes) }
        self.classes = classes
        origin = w[0]
        basis = [e1, r.map { $0 / rNorm }]
    }

    /// Where activation `h` lands in the plane.
    public func coordinates(of activations: [Float]) -> (x: Double, y: Double) {
        var x = 0.0, y = 0.0
        for (i, value) in activations.enumerated() {
            let centred = Double(value) - origin[i]
            x += basis[0][i] * centred
            y += basis[1][i] * centred
        }
        return (x, y)
    }

    /// The examples projected, in order.
    public func points(_ examples: [PenultimateLayer.Example]) -> [Point] {
        examples.map { example in
            let (x, y) = coordinates(of: example.activations)
            return Point(label: example.label, x: x, y: y)
        }
    }

    /// How tight the classes' points are (classes without points count as spread 0 and centroid 0).
    public func spread(of points: [Point]) -> Spread {
        let groups = classes.map { label in points.filter { $0.label == label } }
        let centroids = groups.map { group -> (Double, Double) in
            let n = Double(max(group.count, 1))
            return (group.reduce(0) { $0 + $1.x } / n, group.reduce(0) { $0 + $1.y } / n)
        }
        let perClass = zip(groups, centroids).map { group, centre in
            group.reduce(0) { $0 + hypot($1.x - centre.0, $1.y - centre.1) } / Double(max(group.count, 1))
        }
        let pairs = [(0, 1), (0, 2), (1, 2)]
        let between = pairs.reduce(0) { $0 + hypot(centroids[$1.0].0 - centroids[$1.1].0, centroids[$1.0].1 - centroids[$1.1].1) } / 3
        return Spread(perClass: perClass, centroidDistance: between)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
}
