import RetortDistill

extension TrainingSettings {
    /// The learning-rate schedule of the settings (`schedule`, `milestones`, `gamma`, `step-size`,
    /// `warmup-epochs`) over `epochs` from `lr`.
    func makeSchedule() throws -> any LearningRateSchedule {
        var options: [String: String] = [:]
        switch schedule {
        case "multistep":
            guard !milestones.isEmpty else { throw CLIError.usage("schedule multistep needs --milestones, e.g. 150,180,210") }
            options = ["milestones": milestones.map(String.init).joined(separator: ","), "gamma": "\(gamma)"]
        case "step": options = ["step-size": "\(stepSize)", "gamma": "\(gamma)"]
        default: break
        }
        if warmupEpochs > 0 { options["warmup-epochs"] = "\(warmupEpochs)" }
        return try LearningRateScheduleConfiguration(schedule: schedule, options: options)
            .makeSchedule(baseLearningRate: learningRate, epochs: epochs)
    }
}
