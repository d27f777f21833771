import CPrefetch

/// Hints that memory will be read soon, so that loads the caller knows of in advance overlap
/// instead of each waiting: a flush decodes held records that the reader's thread wrote long
/// before, on the other core (see `HistoryPlanner.plan`).
enum Prefetch {
    /// Asks for the first `lines` cache lines of `bytes`' storage (its header, then its
    /// bytes). An array's value is the address of that storage; were that ever not so, the
    /// hint names another address and is wasted, never a fault.
    @inline(__always)
    static func storage(of bytes: [UInt8], lines: Int32 = 3) {
        funnel_prefetch(unsafeBitCast(bytes, to: UnsafeRawPointer.self), lines)
    }

    /// Asks for the first `lines` cache lines from `address` (a key filter's block).
    @inline(__always)
    static func address(_ address: UnsafeRawPointer, lines: Int32 = 1) {
        funnel_prefetch(address, lines)
    }
}
