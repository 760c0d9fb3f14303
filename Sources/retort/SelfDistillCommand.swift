import RetortDistill

/// `retort selfdistill`: a network trained from its own predictions, with a run folder.
enum SelfDistillCommand: RegisteredCommand {
    static let name = "selfdistill"
    static let order = 40
    static let summary = "train with self-distillation (the training options of train, and)"
    static var usage: String {
        (["--model NAME " + MethodHelp.lines(DistillationMethod.selfDistillation, flag: "method")[0]]
         + MethodHelp.lines(DistillationMethod.selfDistillation, flag: "method").dropFirst()
         + ["--ce-weight X --loss-weight X --temperature X   (defaults per method, see README)"]).joined(separator: "\n")
    }
    static var spec: Arguments.Spec {
        .settings(SelfDistillConfiguration.keys, flags: ["nesterov", "sync-bn", "force"], extra: ["config", "resume"])
    }

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try TrainingJob.run(SelfDistillConfiguration.self, arguments, launch: launch)
    }
}
