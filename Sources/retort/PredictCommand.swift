/// `retort predict`: a split's logits and labels to a safetensors file (see ``EvaluateCommand``).
enum PredictCommand: RegisteredCommand {
    static let name = "predict"
    static let order = 100
    static let summary = "write a split's logits ([N, classes], tensor \"logits\") and labels to safetensors"
    static let usage = """
        --model NAME --weights FILE --dataset NAME --split train|test --out FILE
        [--normalization NAME | --mean a,b,c --std a,b,c]   default: the normalization the checkpoint records
        [--input CxHxW] [--workers N] [--bad-images fail|skip]   --dataset folder --data-dir DIR: as for train
        """
    static let spec = Arguments.Spec(options: Set(["model", "weights", "dataset", "data-dir", "split", "limit", "out"]
                                                         + EvaluateCommand.normalizationKeys + SavedWeights.dataKeys))

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try launch.requireSingleProcess("predict")
        try EvaluateCommand.evaluate(arguments, predict: true)
    }
}
