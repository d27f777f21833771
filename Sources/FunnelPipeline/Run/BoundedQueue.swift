/// A first-in first-out queue between two threads that holds at most `capacity` items: the
/// producer waits when it is full, so a fast reader cannot run ahead of the sessionizer and
/// fill memory.
final class BoundedQueue<Element>: @unchecked Sendable {
    private var items: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    private let condition = ThreadCondition()

    init(capacity: Int) {
        items = Array(repeating: nil, count: max(1, capacity))
    }

    /// Adds an item, waiting while the queue is full. Returns false, dropping the item, once
    /// the consumer has closed the queue.
    @discardableResult
    func push(_ item: Element) -> Bool {
        condition.locked {
            while count == items.count && !closed { condition.wait() }
            guard !closed else { return false }
            items[(head + count) % items.count] = item
            count += 1
            condition.broadcast()
            return true
        }
    }

    /// The next item, waiting while the queue is empty; nil once it is closed and empty.
    func pop() -> Element? {
        condition.locked {
            while count == 0 && !closed { condition.wait() }
            guard count > 0 else { return nil }
            let item = items[head]
            items[head] = nil
            head = (head + 1) % items.count
            count -= 1
            condition.broadcast()
            return item
        }
    }

    /// No more items: the producer calls it at its end, the consumer to stop a producer early.
    func close() {
        condition.locked {
            closed = true
            condition.broadcast()
        }
    }
}
