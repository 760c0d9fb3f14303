/// Watches a network's accuracy epoch by epoch and stops the run when two epochs in a row end at
/// chance accuracy on both the training batches and the test split (at most 1.5/classes): the
/// network has collapsed to a constant prediction, which a NaN check cannot see because the loss
/// stays finite. One such epoch alone can be a slow start on a short epoch.
struct CollapseGuard {
    /// The network's name in an online run (for the message); nil for a single network.
    var network: String?
    /// Consecutive epochs that ended at chance accuracy.
    private(set) var chanceEpochs = 0

    init(network: String? = nil) { self.network = network }

    /// Records the accuracies of `epoch` (0-based); throws ``TrainingError/collapsed(epoch:trainAccuracy:testAccuracy:classes:)``
    /// (or `networkCollapsed` for a named network) at the second chance epoch in a row when `stops`.
    mutating func record(epoch: Int, trainAccuracy: Double, testAccuracy: Double, classes: Int, stops: Bool = true) throws(TrainingError) {
        let chance = 1.5 / Double(max(classes, 1))
        chanceEpochs = classes > 1 && trainAccuracy <= chance && testAccuracy <= chance ? chanceEpochs + 1 : 0
        guard stops, chanceEpochs >= 2 else { return }
        if let network {
            throw .networkCollapsed(network: network, epoch: epoch, trainAccuracy: trainAccuracy, testAccuracy: testAccuracy,
                                    classes: classes)
        }
        throw .collapsed(epoch: epoch, trainAccuracy: trainAccuracy, testAccuracy: testAccuracy, classes: classes)
    }
}
