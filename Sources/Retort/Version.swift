/// Retort's version, as printed by `retort --version`.
public enum RetortVersion {
    public static let string = "0.1.0"
}
