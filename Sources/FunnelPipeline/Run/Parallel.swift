import Dispatch

/// Work split over the machine's cores for the pure steps of a flush (rebuilding visitors,
/// encoding sessions and records), while the stages around them stay single-threaded.
enum Parallel {
    /// Below this many items a second thread costs more than it saves.
    static let minimumItems = 256

    private final class Shared<T, R>: @unchecked Sendable {
        let items: [T]
        let transform: (T) -> R
        let results: UnsafeMutableBufferPointer<R?>

        init(items: [T], transform: @escaping (T) -> R, results: UnsafeMutableBufferPointer<R?>) {
            self.items = items
            self.transform = transform
            self.results = results
        }
    }

    /// `items.map(transform)` on `workers` threads; `transform` must not touch shared mutable
    /// state. Results keep the items' order.
    static func map<T, R>(_ items: [T], workers: Int = 2, _ transform: (T) -> R) -> [R] {
        guard workers > 1, items.count >= minimumItems else { return items.map(transform) }
        let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
        results.initialize(repeating: nil)
        defer {
            _ = results.deinitialize()
            results.deallocate()
        }
        withoutActuallyEscaping(transform) { transform in
            let shared = Shared(items: items, transform: transform, results: results)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                // Interleaved, so that expensive items next to each other are shared out.
                var index = worker
                while index < shared.items.count {
                    shared.results[index] = shared.transform(shared.items[index])
                    index += workers
                }
            }
        }
        return results.map { $0! }
    }
}
