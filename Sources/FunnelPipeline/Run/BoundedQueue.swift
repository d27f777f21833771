#if canImport(Glibc)
import Glibc
#endif

/// A first-in first-out queue between two threads that holds at most `capacity` items: the
/// producer waits when it is full, so a fast reader cannot run ahead of the sessionizer and
/// fill memory.
final class BoundedQueue<Element>: @unchecked Sendable {
    private var items: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(capacity: Int) {
        items = Array(repeating: nil, count: max(1, capacity))
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        changed.deallocate()
    }

    /// Adds an item, waiting while the queue is full. Returns false, dropping the item, once
    /// the consumer has closed the queue.
    @discardableResult
    func push(_ item: Element) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == items.count && !closed { pthread_cond_wait(changed, mutex) }
        guard !closed else { return false }
        items[(head + count) % items.count] = item
        count += 1
        pthread_cond_broadcast(changed)
        return true
    }

    /// The next item, waiting while the queue is empty; nil once it is closed and empty.
    func pop() -> Element? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == 0 && !closed { pthread_cond_wait(changed, mutex) }
        guard count > 0 else { return nil }
        let item = items[head]
        items[head] = nil
        head = (head + 1) % items.count
        count -= 1
        pthread_cond_broadcast(changed)
        return item
    }

    /// No more items: the producer calls it at its end, the consumer to stop a producer early.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }
}
