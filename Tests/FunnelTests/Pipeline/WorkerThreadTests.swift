@testable import FunnelPipeline
import Foundation
import Testing

/// The stages' threads: each runs its closure once, on a thread of its own, under the
/// stage's name (what `top -H` and `perf` show).
struct WorkerThreadTests {
    final class Seen: @unchecked Sendable {
        var name = ""
        var thread: pthread_t?
        var runs = 0
    }

    @Test func runsOnceOnANamedThreadOfItsOwn() throws {
        let seen = Seen()
        let worker = WorkerThread(name: "funnel-test") {
            seen.name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            seen.thread = pthread_self()
            seen.runs += 1
        }
        worker.join()
        worker.join()
        #expect(seen.runs == 1)
        #expect(seen.name == "funnel-test\n")
        let thread = try #require(seen.thread)
        #expect(pthread_equal(thread, pthread_self()) == 0)
        // The calling thread keeps its own name.
        #expect((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) != "funnel-test\n")
    }
}
