@testable import FunnelPipeline
import Synchronization
import Testing

/// The parallel steps of a flush: results in the items' order whatever worker took an item,
/// and, for `map(consuming:)`, every item moved out and freed before the call returns.
struct ParallelTests {
    /// Counts how many of its instances were freed.
    final class Tracked: Sendable {
        let value: Int
        let freed: Counter

        init(_ value: Int, freed: Counter) {
            self.value = value
            self.freed = freed
        }

        deinit { freed.count.add(1, ordering: .relaxed) }
    }

    final class Counter: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test(arguments: [0, 1, Parallel.minimumItems - 1, Parallel.minimumItems, 1_000, 10_007])
    func mapKeepsTheItemsOrder(count: Int) {
        let items = (0..<count).map { $0 * 3 }
        let results = Parallel.map(items) { "\($0 + 1)" }
        #expect(results == items.map { "\($0 + 1)" })
    }

    @Test(arguments: [1, Parallel.minimumItems, 5_003])
    func mapConsumingKeepsTheOrderAndFreesEveryItem(count: Int) {
        let freed = Counter()
        var items: [Tracked?] = (0..<count).map { Tracked($0, freed: freed) }
        let results = Parallel.map(consuming: &items) { item in item.value * 2 }
        #expect(results == (0..<count).map { $0 * 2 })
        #expect(items.count == count)
        #expect(items.allSatisfy { $0 == nil })
        #expect(freed.count.load(ordering: .relaxed) == count)
    }

    /// What the planner relies on to complete merged page views in place: the transform is the
    /// item's only holder, on both paths (one worker below `minimumItems`, two above).
    @Test(arguments: [1, Parallel.minimumItems, 5_003])
    func mapConsumingHandsEachItemOverAsItsOnlyHolder(count: Int) {
        let freed = Counter()
        var items: [Tracked?] = (0..<count).map { Tracked($0, freed: freed) }
        let unique = Parallel.map(consuming: &items) { item in isKnownUniquelyReferenced(&item) }
        #expect(unique.count == count)
        #expect(unique.allSatisfy { $0 })
    }

    @Test func everyItemIsTransformedOnce() {
        let calls = Counter()
        let items = Array(0..<4_096)
        let results = Parallel.map(items, workers: 4) { item -> Int in
            calls.count.add(1, ordering: .relaxed)
            return item
        }
        #expect(results == items)
        #expect(calls.count.load(ordering: .relaxed) == items.count)
    }
}
