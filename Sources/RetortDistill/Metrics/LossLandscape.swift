import Foundation
import Retort
import RetortNN

/// The loss around a trained network along random directions, as Li, Xu, Taylor, Studer &
/// Goldstein, "Visualizing the loss landscape of neural nets" (NeurIPS 2018), draw it: `L(θ + α·d₁)`
/// (a curve) or `L(θ + α·d₁ + β·d₂)` (a surface), with `L` the mean cross-entropy of a source's
/// images in evaluation mode (batch norms use their running statistics, which stay as trained).
///
/// Each direction is Gaussian and filter-normalized (their §4): every output row (filter) of a
/// weight with two or more dimensions (a convolution's `[out, in, k, k]`, a linear layer's
/// `[out, in]`) is scaled to the norm of the same row of the weight, `d_i ← d_i · ‖θ_i‖ / (‖d_i‖ + 10⁻¹⁰)`,
/// so a step α moves every filter by the same fraction of its size whatever the network's scale;
/// biases and batch-norm parameters (one dimension) get a zero direction (their `ignore='biasbn'`).
/// Directions are seeded; the weights go back to θ exactly after each evaluation.
public struct LossLandscape {
    /// The network's parameters, `namedParameters()` order.
    let parameters: [Tensor]
    let model: any Classifier
    /// θ: every parameter's values at the solution.
    public let origin: [[Float]]
    /// `directions[k][p]`: direction k's values for parameter p.
    public let directions: [[[Float]]]

    /// Records `model`'s weights and draws `count` filter-normalized directions from `seed`.
    public init(model: any Classifier, directions count: Int, seed: UInt64) throws {
        guard (1...2).contains(count) else { throw DiagnosticError.invalidGrid("--directions must be 1 or 2, got \(count)") }
        self.model = model
        parameters = model.parameters()
        let origin = try parameters.map { try $0.toArray() }
        var generator = SplitMix64(seed: seed)
        let shapes = parameters.map(\.shape)
        directions = (0..<count).map { _ in Self.filterNormalizedDirection(weights: origin, shapes: shapes, generator: &generator) }
        self.origin = origin
    }

    /// A Gaussian direction for `weights` (each with its shape), filter-normalized: each row of a
    /// weight with two or more dimensions scaled to the norm of the weight's row; zero elsewhere.
    public static func filterNormalizedDirection(weights: [[Float]], shapes: [[Int]], generator: inout SplitMix64) -> [[Float]] {
        zip(weights, shapes).map { weight, shape in
            guard shape.count >= 2, let rows = shape.first, rows > 0 else { return [Float](repeating: 0, count: weight.count) }
            var direction = Initialization.normal(count: weight.count, standardDeviation: 1, using: &generator)
            let size = weight.count / rows
            for row in 0..<rows {
                let span = row * size..<(row + 1) * size
                let scale = norm(weight[span]) / (norm(direction[span]) + 1e-10)
                for i in span { direction[i] = Float(Double(direction[i]) * scale) }
            }
            return direction
        }
    }

    /// The weights `θ + Σ_k coordinates[k]·d_k`, each value computed in Double and rounded once.
    public func weights(at coordinates: [Double]) -> [[Float]] {
        origin.indices.map { p in
            origin[p].indices.map { i in
                var value = Double(origin[p][i])
                for (k, c) in coordinates.enumerated() where c != 0 { value += c * Double(directions[k][p][i]) }
                return Float(value)
            }
        }
    }

    /// The mean loss of `source` with the weights at `coordinates` (one per direction); the weights
    /// are θ again afterwards.
    public func loss(at coordinates: [Double], on source: any BatchSource) throws -> Double {
        guard coordinates.count == directions.count else {
            throw DiagnosticError.invalidGrid("\(coordinates.count) coordinates for \(directions.count) directions")
        }
        let loss = Result {
            for (parameter, values) in zip(parameters, weights(at: coordinates)) { try parameter.assign(values) }
            return try Evaluation.run(model, on: source).loss
        }
        try restore()
        return try loss.get()
    }

    /// Puts θ back.
    public func restore() throws {
        for (parameter, values) in zip(parameters, origin) { try parameter.assign(values) }
    }

    /// `L(θ + α·d₁)` for each α (the first direction).
    public func curve(_ alphas: [Double], on source: any BatchSource) throws -> [Double] {
        try alphas.map { alpha in try loss(at: [alpha] + Array(repeating: 0, count: directions.count - 1), on: source) }
    }

    /// `L(θ + α·d₁ + β·d₂)` on the grid: `[β index][α index]`. Needs two directions.
    public func surface(_ alphas: [Double], _ betas: [Double], on source: any BatchSource) throws -> [[Double]] {
        guard directions.count == 2 else { throw DiagnosticError.invalidGrid("a surface needs two directions, this landscape has 1") }
        return try betas.map { beta in try alphas.map { alpha in try loss(at: [alpha, beta], on: source) } }
    }

    /// `count` evenly spaced values from −radius to radius (0 among them when `count` is odd).
    public static func grid(radius: Double, count: Int) throws -> [Double] {
        guard count >= 2, radius > 0, radius.isFinite else {
            throw DiagnosticError.invalidGrid("the grid needs --points of at least 2 and a positive --radius (got \(count) and \(radius))")
        }
        return (0..<count).map { -radius + 2 * radius * Double($0) / Double(count - 1) }
    }

    /// The sharpness number: the mean of `L − L(θ)` over the sampled points, the area between the
    /// curve (or surface) and the solution's loss divided by the range. Filter normalization makes
    /// one radius the same relative step for every network, so the number compares networks; a
    /// mean uses every sample, where a maximum would rest on the single farthest one.
    public static func sharpness(_ losses: [Double], atSolution base: Double) -> Double {
        losses.isEmpty ? 0 : losses.reduce(0) { $0 + ($1 - base) } / Double(losses.count)
    }

    static func norm(_ values: ArraySlice<Float>) -> Double { values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
}
