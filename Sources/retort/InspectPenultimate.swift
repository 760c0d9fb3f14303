import Foundation
import RetortDistill
import RetortReport

/// `retort inspect penultimate`: the label-smoothing paper's picture (Müller, Kornblith & Hinton
/// 2019, §2) — the penultimate-layer activations of three classes' training and test images,
/// projected onto the plane through the three classes' templates (``PenultimateProjection``), one
/// panel per split, and how tight each split's clusters are (``PenultimateProjection/Spread``).
enum InspectPenultimate: RegisteredInspection {
    static let name = "penultimate"
    static let summary = "three classes' penultimate activations on their templates' plane (Müller et al. 2019)"
    static let usage = """
        --model NAME --weights FILE --classes a,b,c   (class numbers or names, e.g. 0,1,2 or shirt,pullover,coat)
        [--dataset fashion-mnist] [--data-dir DIR] [--limit N]   the first N images of each split (default 3000)
        [--normalization NAME | --mean a,b,c --std a,b,c] [--out FILE.svg]   (default penultimate.svg)
        [--input CxHxW] [--workers N] [--bad-images fail|skip]   --dataset folder --data-dir DIR: as for train
        """
    static let options = SavedWeights.options.union(["classes"])

    /// The images read from each split unless `--limit` says otherwise.
    static let defaultLimit = 3000

    static func run(_ arguments: Arguments) throws {
        guard let text = arguments.options["classes"] else {
            throw CLIError.usage("inspect penultimate needs --classes a,b,c: three class numbers or names")
        }
        let kind = try DatasetKind(name: arguments.options["dataset"] ?? "fashion-mnist")
        let classes = try classes(text, kind: kind)
        let inspected = try SavedWeights(arguments, command: "inspect \(name)", limits: [.train: defaultLimit, .test: defaultLimit])
        let layer = try PenultimateLayer(of: inspected.model)
        guard classes.allSatisfy({ $0 < layer.templates.count }) else {
            throw CLIError.usage("--classes \(text): \(inspected.modelName) has \(layer.templates.count) classes, "
                                 + "numbered 0 to \(layer.templates.count - 1)")
        }
        let projection = try PenultimateProjection(templates: layer.templates, classes: classes)
        let labels = classes.map { label(of: $0, kind: kind) }
        var panels: [(split: Split, points: [PenultimateProjection.Point])] = []
        for split in [Split.train, .test] {
            let examples = try layer.examples(from: inspected.loader(split), classes: Set(classes))
            guard !examples.isEmpty else { throw DiagnosticError.noExamples(classes: classes, split: split.rawValue) }
            let points = projection.points(examples)
            let spread = projection.spread(of: points)
            Console.say(String(format: "%@: %d points; mean distance to the class centroid %@; between centroids %.3g; "
                               + "spread ratio %.3f (smaller: tighter clusters)", split.rawValue, points.count,
                               zip(labels, spread.perClass).map { String(format: "%@ %.3g", $0, $1) }.joined(separator: ", "),
                               spread.centroidDistance, spread.ratio))
            panels.append((split, points))
        }
        let picture = picture(panels, classes: classes, labels: labels, model: inspected.modelName)
        Console.say("wrote \(try SavedWeights.write(picture, arguments, fallback: "penultimate.svg").path)")
    }

    /// The two panels side by side on the same ranges, so the clusters' sizes compare.
    static func picture(_ panels: [(split: Split, points: [PenultimateProjection.Point])], classes: [Int], labels: [String],
                        model: String) -> String {
        let series = panels.map { panel in
            classes.enumerated().map { index, label in
                SVGScatterPlot.Series(name: labels[index], points: panel.points.filter { $0.label == label }.map { ($0.x, $0.y) },
                                      color: SVG.color(index), marker: panel.split == .train ? .dot : .ring)
            }
        }
        let ranges = SVGScatterPlot.ranges(of: series.flatMap { $0 })
        let plots = zip(panels, series).map { panel, series in
            SVGScatterPlot(title: "\(model): \(panel.split.rawValue) images", xLabel: "e₁ (along w[\(labels[1])] − w[\(labels[0])])",
                           yLabel: "e₂ (towards w[\(labels[2])])", series: series, x: ranges.x, y: ranges.y, equalScale: true,
                           width: 520, height: 406)
        }
        return SVGPanels(plots.map { .init(svg: $0.svg, width: $0.width, height: $0.height) }).svg
    }

    /// Class names users may type for a dataset, in label order: ``DatasetKind/classNames`` lowercased,
    /// up to a slash, spaces as hyphens (`t-shirt`, `ankle-boot`); none where the classes are numbers.
    static func classNames(_ kind: DatasetKind) -> [String] {
        guard kind != .mnist else { return [] }
        return (kind.classNames ?? []).map {
            String($0.lowercased().split(separator: "/")[0]).replacingOccurrences(of: " ", with: "-")
        }
    }

    /// A class's name for the legend: its name where the dataset has names, else its number.
    static func label(of label: Int, kind: DatasetKind) -> String {
        let names = classNames(kind)
        return names.indices.contains(label) ? "\(label) \(names[label])" : String(label)
    }

    /// Three distinct classes from `a,b,c`, each a number or a name of `kind`'s classes.
    static func classes(_ text: String, kind: DatasetKind) throws(CLIError) -> [Int] {
        let names = classNames(kind)
        var classes: [Int] = []
        for word in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let key = word.lowercased().replacingOccurrences(of: " ", with: "-")
            if let number = Int(word), number >= 0 {
                classes.append(number)
            } else if let index = names.firstIndex(of: key) {
                classes.append(index)
            } else {
                let known = names.isEmpty ? "\(kind.rawValue) classes are numbers"
                    : "\(kind.rawValue) classes: " + names.joined(separator: ", ")
                throw .usage("--classes: no class '\(word)'; give a class number or name (\(known))")
            }
        }
        guard classes.count == 3, Set(classes).count == 3 else {
            throw .usage("--classes needs three different classes, got '\(text)' (\(classes.count) given); e.g. --classes 0,2,6")
        }
        return classes
    }
}
