import Retort

extension DistillationMethod {
    /// The training objective of this method: `ce-weight · CE + loss-weight · term`, with the
    /// method's options (missing ones take the reference defaults), and the batch transform it needs.
    public func makeObjective(_ setup: DistillationSetup) throws -> (objective: any DistillationLoss, mixUp: MixUp?) {
        let options = setup.options
        func value(_ key: String, _ fallback: Double) -> Float { Float(options[key] ?? fallback) }
        let ceWeight = value("ce-weight", defaultCrossEntropyWeight), weight = value("loss-weight", defaultLossWeight)
        let temperature = value("temperature", defaultTemperature)
        let crossEntropy = CrossEntropyLoss(labelSmoothing: Float(setup.labelSmoothing))
        func combined(_ term: any DistillationLoss) -> any DistillationLoss { WeightedLoss([(ceWeight, crossEntropy), (weight, term)]) }
        switch self {
        case .crossEntropy:
            return (WeightedLoss([(ceWeight, crossEntropy)]), nil)
        case .labelSmoothing:
            let epsilon = setup.labelSmoothing > 0 ? setup.labelSmoothing : 0.1
            return (WeightedLoss([(ceWeight, CrossEntropyLoss(labelSmoothing: Float(epsilon)))]), nil)
        case .kd:
            let reduction = try setup.textOptions["kd-reduction"].map { name in
                guard let reduction = KnowledgeDistillation.Reduction(rawValue: name) else {
                    throw DistillationError.invalidConfiguration("kd-reduction must be batchmean, mean or sum, got '\(name)'")
                }
                return reduction
            } ?? .batchmean
            return (combined(KnowledgeDistillation(temperature: temperature, reduction: reduction,
                                                   scalesByTemperatureSquared: (options["kd-t2"] ?? 1) != 0)), nil)
        case .dkd:
            return (combined(DecoupledKD(alpha: value("dkd-alpha", 1), beta: value("dkd-beta", 8), temperature: temperature,
                                         warmupEpochs: Int(options["dkd-warmup"] ?? 20))), nil)
        case .nkd:
            return (combined(NormalizedKD(temperature: temperature, gamma: value("nkd-gamma", 1.5))), nil)
        case .dist:
            return (combined(DIST(beta: value("dist-beta", 1), gamma: value("dist-gamma", 1), temperature: temperature)), nil)
        case .sp:
            return (combined(SimilarityPreserving()), nil)
        case .camkd:
            return (combined(ConfidenceAwareMultiTeacher(temperature: temperature)), nil)
        case .crd:
            guard !setup.trainingLabels.isEmpty, setup.studentFeatures > 0, let teacherWidth = setup.teacherFeatures.first else {
                throw DistillationError.invalidConfiguration("crd needs the training labels and the student's and teacher's feature widths")
            }
            let term = try ContrastiveRepresentation(studentDimension: setup.studentFeatures, teacherDimension: teacherWidth,
                                                     labels: setup.trainingLabels, dimension: Int(options["crd-dim"] ?? 128),
                                                     negatives: Int(options["crd-negatives"] ?? 16384), temperature: temperature,
                                                     momentum: value("crd-momentum", 0.5), seed: setup.seed, context: setup.context)
            return (combined(term), nil)
        case .bake:
            return (combined(BatchKnowledgeEnsembling(propagation: value("bake-omega", 0.5), temperature: temperature)), nil)
        case .zipf:
            return (combined(ZipfLabelSmoothing(power: value("zipf-power", 1))), nil)
        case .mixkd:
            // MIX-KD: γ·CE(ỹ, z_s/σ_s) + α·KL(p_t^{σ_t} ‖ p_s^{σ_s}) on partially mixed batches; the
            // classification term uses the same σ-scaled logits, so it lives inside the term.
            let mixUp = MixUp(classes: setup.classes, alpha: value("mixup-alpha", 1), unmixedFraction: value("mixup-unmixed", 0.9))
            let term = MixUpDistillation(temperature: options["temperature"].map(Float.init),
                                         classificationWeight: weight == 0 ? 0 : ceWeight / weight)
            return (WeightedLoss([(weight, term)]), mixUp)
        case .tfnkd:
            return (combined(TeacherFreeNKD()), nil)
        }
    }
}
