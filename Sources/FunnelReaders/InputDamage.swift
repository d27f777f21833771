/// What went wrong with an input after some of it was read.
public struct InputDamage: Sendable, Hashable {
    public enum Kind: String, Sendable { case truncated, corrupt, trailingGarbage = "trailing_garbage", readError = "read_error" }
    public var kind: Kind
    public var message: String
}
