import RetortDistill

/// `retort distill`: a student distilled from frozen teachers, with a run folder.
enum DistillCommand: RegisteredCommand {
    static let name = "distill"
    static let order = 30
    static let summary = "distill a student from frozen teachers (the training options of train, and)"
    static var usage: String {
        (["--student NAME --teacher NAME --teacher-weights FILE (repeat both for several",
          "teachers; weights from retort train or PyTorch safetensors)"]
         + MethodHelp.lines(DistillationMethod.offline, flag: "loss", defaultName: DistillationMethod.kd.name)
         + ["--ce-weight X --loss-weight X --temperature X   (defaults per loss, see README)"]).joined(separator: "\n")
    }
    static var spec: Arguments.Spec {
        .settings(DistillConfiguration.keys, flags: ["nesterov", "sync-bn", "force"], extra: ["config", "resume"],
                  repeatable: ["teacher", "teacher-weights"])
    }

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try TrainingJob.run(DistillConfiguration.self, arguments, launch: launch)
    }
}
