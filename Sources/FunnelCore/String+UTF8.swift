extension String {
    /// Calls `body` with the string's UTF-8 bytes where they are (`utf8`'s contiguous storage,
    /// which every native string has, small ones included), else with those of a copy
    /// (`withUTF8`, which needs a mutable string). The writers call it for every text they
    /// write: the copy `withUTF8` needs retained and released the string, two a session field
    /// of sessions.ndjson (396,628 of the bench's S run).
    @inlinable @inline(__always)
    public func withUTF8InPlace<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }
}
