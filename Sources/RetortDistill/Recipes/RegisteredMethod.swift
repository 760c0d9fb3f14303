/// A loss that is a distillation method of `retort distill --loss` or `retort selfdistill --method`.
///
/// Conform in the loss's own file (`extension MyLoss: RegisteredMethod`) and declare the method
/// there: the build scans the target's sources for conformances to `Registered…` protocols and
/// lists them, so ``MethodRegistry`` finds the method by name without a central list.
public protocol RegisteredMethod {
    /// The method's name, kind, defaults, options and constructor.
    static var distillationMethod: DistillationMethod { get }
}

/// An objective that is a method of `retort online`; conform beside the objective, like
/// ``RegisteredMethod``.
public protocol RegisteredOnlineMethod {
    /// The method's name, networks, options and constructor.
    static var onlineMethod: OnlineMethod { get }
}
