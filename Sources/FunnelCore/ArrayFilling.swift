extension Array {
    /// `count` copies of `value`, as `Array(repeating:count:)` makes them, but allocated
    /// through `reserveCapacity`. `Array(repeating:count:)` and
    /// `Array(unsafeUninitializedCapacity:)` allocate through a standard-library function that
    /// is not specialized for the element type and looks the storage's type up at run time:
    /// about 800 instructions a call under callgrind, more than the array's work when it is
    /// small and made often (the page-view merge's flags, one array per visitor rebuilt).
    /// `reserveCapacity` allocates through code specialized in the caller.
    @inlinable
    public init(filled value: Element, count: Int) {
        self.init()
        reserveCapacity(count)
        for _ in 0..<count { append(value) }
    }
}
