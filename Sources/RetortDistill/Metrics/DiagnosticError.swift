/// Why a diagnostic picture of a network (the penultimate-layer projection, the loss landscape)
/// cannot be computed as asked.
public enum DiagnosticError: Error, Equatable, CustomStringConvertible {
    /// The network has no linear layer whose rows are the class templates.
    case noLinearHead(model: String)
    /// The last linear layer applied to the activations found does not give the network's logits.
    case headMismatch(model: String, difference: Double)
    /// The projection needs three distinct classes of the network.
    case invalidClasses([Int], classes: Int)
    /// Two templates coincide or the three lie on one line, so they span no plane.
    case collinearTemplates([Int])
    /// None of the images belongs to the chosen classes.
    case noExamples(classes: [Int], split: String)
    /// One or two directions, a grid of at least two points per direction and a positive radius.
    case invalidGrid(String)

    public var description: String {
        switch self {
        case .noLinearHead(let model):
            return "\(model) has no linear layer producing the logits, so it has no class templates to project onto"
        case .headMismatch(let model, let difference):
            return "the last linear layer of \(model) applied to the activations before it does not give the network's logits "
                + "(largest difference \(difference)); its head is not one linear layer after the penultimate activations"
        case .invalidClasses(let chosen, let classes):
            return "the projection needs three different classes between 0 and \(classes - 1), "
                + "got \(chosen.map(String.init).joined(separator: ","))"
        case .collinearTemplates(let chosen):
            return "the templates of classes \(chosen.map(String.init).joined(separator: ",")) lie on one line and span no plane; "
                + "choose three other classes"
        case .noExamples(let chosen, let split):
            return "no \(split) image belongs to classes \(chosen.map(String.init).joined(separator: ",")); raise --limit"
        case .invalidGrid(let message):
            return message
        }
    }
}
