import Foundation

/// Runs `body` on a thread of its own and gives its result, or nil when it has not returned
/// within `seconds`: a call that may block for good (an `open` of a FIFO without a writer) is
/// then a failing expectation, not a hung test run. A thread that does not return is left to
/// its call.
public func resultWithin(_ seconds: Double, _ body: @escaping @Sendable () -> String) -> String? {
    let result = LockedResult()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        result.value = body()
        done.signal()
    }
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    return result.value
}

private final class LockedResult: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    var value: String? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
