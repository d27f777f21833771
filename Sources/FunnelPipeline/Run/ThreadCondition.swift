#if canImport(Glibc)
import Glibc
#endif

/// A mutex and one condition variable: what two threads handing work to each other wait on
/// (`BoundedQueue`, the history's store turn).
final class ThreadCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        changed.deallocate()
    }

    /// `body`'s result, run holding the mutex.
    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Within `locked`: waits for `broadcast`, the mutex released meanwhile. Wakes may be
    /// spurious, so callers wait in a loop on their own condition.
    func wait() {
        pthread_cond_wait(changed, mutex)
    }

    /// Within `locked`: wakes every thread waiting.
    func broadcast() {
        pthread_cond_broadcast(changed)
    }
}
