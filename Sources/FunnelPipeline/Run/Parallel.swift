import Synchronization

/// Work split over the machine's cores for the pure steps of a flush (rebuilding visitors,
/// encoding sessions and records), while the stages around them stay single-threaded.
enum Parallel {
    /// Below this many items a second thread costs more than it saves.
    static let minimumItems = 256
    /// Items a worker takes at a time.
    static let stride = 8

    private final class Shared<R>: @unchecked Sendable {
        let count: Int
        let job: (Int) -> R
        let results: UnsafeMutableBufferPointer<R?>
        let next = Atomic<Int>(0)

        init(count: Int, job: @escaping (Int) -> R, results: UnsafeMutableBufferPointer<R?>) {
            self.count = count
            self.job = job
            self.results = results
        }

        /// Takes the next few items until none are left. Workers take items as they go
        /// rather than a fixed share: the second core is shared with the reader, and a worker
        /// given half the items kept the caller waiting for its slower half.
        func work() {
            while true {
                let start = next.wrappingAdd(Parallel.stride, ordering: .relaxed).oldValue
                guard start < count else { return }
                for index in start..<min(start + Parallel.stride, count) { results[index] = job(index) }
            }
        }
    }

    /// Runs `job` for every index below `count` on `workers` threads; results by index.
    private static func run<R>(count: Int, workers: Int, _ job: (Int) -> R) -> [R] {
        let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer {
            _ = results.deinitialize()
            results.deallocate()
        }
        withoutActuallyEscaping(job) { job in
            let shared = Shared(count: count, job: job, results: results)
            // Threads of its own, not `DispatchQueue.concurrentPerform`: libdispatch that
            // cannot start a worker (the thread limit, `ulimit -u`, reached) sleeps and tries
            // again for ever, and the run hung with no CPU used (a review, 2026-12-05). A
            // helper the system refuses is only missing: the caller takes every item then.
            var helpers: [WorkerThread] = []
            for _ in 1..<workers {
                guard let helper = try? WorkerThread(name: "funnel-part", { shared.work() }) else { break }
                helpers.append(helper)
            }
            shared.work()
            for helper in helpers { helper.join() }
        }
        // Moved out, not copied: a copy retained everything each result holds and the
        // buffer's deinitialization released it again, on values the workers made.
        var moved: [R] = []
        moved.reserveCapacity(count)
        for index in 0..<count { moved.append(results[index].take()!) }
        return moved
    }

    /// `items.map(transform)` on `workers` threads; `transform` must not touch shared mutable
    /// state. Results keep the items' order.
    static func map<T, R>(_ items: [T], workers: Int = 2, _ transform: (T) -> R) -> [R] {
        guard workers > 1, items.count >= minimumItems else { return items.map(transform) }
        return run(count: items.count, workers: workers) { transform(items[$0]) }
    }

    /// Like `map`, but each item is moved out of `items` (left nil) before `transform` gets
    /// it: what only the item holds (a rebuilt visitor's records) is then freed by the worker
    /// that used it, on both cores, instead of on the caller's thread after the last worker;
    /// and `transform` gets the item as its only holder, so it can take out or change what the
    /// item holds without copying it.
    static func map<T, R>(consuming items: inout [T?], workers: Int = 2, _ transform: (inout T) -> R) -> [R] {
        map(mutating: &items, workers: workers) { slot in
            var item = slot.take()!
            return transform(&item)
        }
    }

    /// Like `map`, but `transform` gets each item in place, to move out (`exchange`) what it
    /// keeps instead of copying it, and to free the rest on the worker that used it.
    static func map<T, R>(mutating items: inout [T], workers: Int = 2, _ transform: (inout T) -> R) -> [R] {
        guard workers > 1, items.count >= minimumItems else {
            return items.indices.map { transform(&items[$0]) }
        }
        return items.withUnsafeMutableBufferPointer { buffer in
            // Each index is given to one worker only.
            run(count: buffer.count, workers: workers) { transform(&buffer[$0]) }
        }
    }
}
