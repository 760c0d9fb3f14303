import Foundation
import RetortDistill
import RetortReport

/// `retort inspect flatness`: the loss around saved weights along filter-normalized random
/// directions (Li et al. 2018, ``LossLandscape``) — a curve with one direction, a curve and a
/// contour with two — and the sharpness number, the mean loss increase over the sampled range
/// (``LossLandscape/sharpness(_:atSolution:)``). The self-distillation studies (Zhang & Sabuncu 2020;
/// Pham et al. 2022) read a flatter minimum as a smaller increase.
enum InspectFlatness: RegisteredInspection {
    static let name = "flatness"
    static let summary = "training loss along filter-normalized random directions; sharpness (Li et al. 2018)"
    static let usage = """
        --model NAME --weights FILE [--directions 1|2] [--points N] [--radius R] [--seed N]
        [--dataset fashion-mnist] [--data-dir DIR] [--limit N]   the first N training images (default 2000)
        [--normalization NAME | --mean a,b,c --std a,b,c] [--out FILE.svg]   (default flatness.svg)
        [--input CxHxW] [--workers N] [--bad-images fail|skip]   --dataset folder --data-dir DIR: as for train
        --points N: samples per direction from -R to R (default 21 with one direction, 11 with two)
        --radius R: default 1 (one filter's own norm)
        """
    static let options = SavedWeights.options.union(["directions", "points", "radius", "seed"])

    static func run(_ arguments: Arguments) throws {
        let directions = arguments.options["directions"] ?? "1"
        guard let count = Int(directions), (1...2).contains(count) else {
            throw CLIError.usage("--directions must be 1 (a curve) or 2 (a curve and a contour), got '\(directions)'")
        }
        let points = try arguments.integer("points", default: count == 1 ? 21 : 11, range: 2...1001)
        let radiusText = arguments.options["radius"] ?? "1"
        guard let radius = Double(radiusText), radius > 0, radius.isFinite else {
            throw CLIError.usage("--radius must be a positive number, got '\(radiusText)'")
        }
        let seed = try arguments.integer("seed", default: 0, range: 0...Int.max)
        let inspected = try SavedWeights(arguments, command: "inspect \(name)", limits: [.train: 2000])
        let source = try inspected.loader(.train)
        let landscape = try LossLandscape(model: inspected.model, directions: count, seed: UInt64(seed))
        let alphas = try LossLandscape.grid(radius: radius, count: points)
        let base = try landscape.loss(at: Array(repeating: 0, count: count), on: source)
        Console.say(String(format: "%@ on %d training images: loss at the weights %.4f", inspected.modelName, source.dataset.count, base))
        // With two directions, the surface's β = 0 row is the curve along d₁ (when the grid holds 0).
        let surface = count == 2 ? try landscape.surface(alphas, alphas, on: source) : nil
        let curve = try surface.flatMap { rows in alphas.firstIndex(of: 0).map { rows[$0] } } ?? landscape.curve(alphas, on: source)
        for (alpha, loss) in zip(alphas, curve) { Console.say(String(format: "  alpha %+.3f  loss %.4f", alpha, loss)) }
        Console.say(String(format: "sharpness (mean loss increase over alpha in [-%g, %g], direction 1): %.4f; largest increase %.4f",
                           radius, radius, LossLandscape.sharpness(curve, atSolution: base), (curve.max() ?? base) - base))
        let title = "\(inspected.modelName): training loss along a filter-normalized direction"
        let line = SVGLinePlot(title: title, xLabel: "α (direction 1)", yLabel: "loss",
                               series: [.init(name: "L(θ + α·d₁)", points: Array(zip(alphas, curve)), color: SVG.color(0))],
                               references: [.init(name: "L(θ)", y: base, color: SVG.color(1))], width: 560, height: 480)
        var panels = [SVGPanels.Panel(svg: line.svg, width: line.width, height: line.height)]
        if let surface {
            Console.say(String(format: "sharpness over the %d×%d grid (mean loss increase): %.4f", points, points,
                               LossLandscape.sharpness(surface.flatMap { $0 }, atSolution: base)))
            let contour = SVGContourPlot(title: "\(inspected.modelName): L(θ + α·d₁ + β·d₂)", xLabel: "α (direction 1)",
                                         yLabel: "β (direction 2)", xs: alphas, ys: alphas, values: surface, mark: ("θ", 0, 0),
                                         logarithmic: true)
            panels.append(.init(svg: contour.svg, width: contour.width, height: contour.height))
        }
        Console.say("wrote \(try SavedWeights.write(SVGPanels(panels).svg, arguments, fallback: "flatness.svg").path)")
    }
}
