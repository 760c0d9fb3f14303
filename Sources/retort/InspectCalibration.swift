import Foundation
import RetortCheckpoint
import RetortDistill
import RetortReport

/// `retort inspect calibration`: the reliability diagram (accuracy per confidence bin against the
/// diagonal, the gap shaded, ECE in the title) of saved weights on the test split.
enum InspectCalibration: RegisteredInspection {
    static let name = "calibration"
    static let summary = "reliability diagram and ECE (15 confidence bins) of saved weights on the test split"
    static let usage = """
        --model NAME --weights FILE [--dataset NAME] [--data-dir DIR] [--limit N]
        [--normalization NAME | --mean a,b,c --std a,b,c]   default: the normalization the checkpoint records
        [--input CxHxW] [--workers N] [--bad-images fail|skip]   --dataset folder --data-dir DIR: as for train
        [--out FILE.svg]   default: calibration.svg
        """
    static let options = SavedWeights.options

    static func run(_ arguments: Arguments) throws {
        let weights = try SavedWeights(arguments, command: "inspect calibration", limits: [.test: nil])
        let evaluation = try Evaluation.run(weights.model, on: try weights.loader(.test))
        let bins = evaluation.reliability
        let file = arguments.options["weights"].map { URL(fileURLWithPath: $0).lastPathComponent } ?? ""
        let diagram = SVGReliabilityDiagram(title: "\(weights.modelName) \(file), \(weights.kind.rawValue) test", counts: bins.count,
                                            accuracy: bins.accuracy, meanConfidence: bins.meanConfidence,
                                            expectedCalibrationError: bins.expectedCalibrationError)
        let out = try SavedWeights.write(diagram.svg, arguments, fallback: "calibration.svg")
        print(String(format: "%@ on %@ test (%d images): top-1 %.2f%%, ECE %.4f; reliability diagram in %@", weights.modelName,
                     weights.kind.rawValue, evaluation.labels.count, evaluation.top1 * 100, bins.expectedCalibrationError, out.path))
    }
}
