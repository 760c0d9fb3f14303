/// Every distillation method of this library, found by name: the offline, self-distillation and
/// online methods each loss or objective declares beside itself (``RegisteredMethod``,
/// ``RegisteredOnlineMethod``). The list of declaring types is generated at build time from the
/// target's sources, so adding a method is adding its file.
public enum MethodRegistry {
    /// Every offline, self-distillation and plain method, by kind, then as each kind lists them.
    public static let methods: [DistillationMethod] = Registrations.registeredMethod.map { $0.distillationMethod }
        .sorted { ($0.kind, $0.order, $0.name) < ($1.kind, $1.order, $1.name) }

    /// Every online method, as they are listed.
    public static let onlineMethods: [OnlineMethod] = Registrations.registeredOnlineMethod.map { $0.onlineMethod }
        .sorted { ($0.order, $0.name) < ($1.order, $1.name) }

    /// The offline, self-distillation or plain method called `name`.
    public static func method(named name: String) throws -> DistillationMethod {
        try DistillationMethod(name: name)
    }

    /// The online method called `name`.
    public static func onlineMethod(named name: String) throws -> OnlineMethod {
        try OnlineMethod(name: name)
    }
}
