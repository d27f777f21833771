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
        let worker = try WorkerThread(name: "funnel-test") {
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

    /// A stack no machine can give: the system refuses the thread, the closure never runs
    /// (not even in place), and the error names the thread and what to raise.
    @Test func aThreadTheSystemRefusesThrowsAndNeverRunsItsClosure() {
        let seen = Seen()
        #expect {
            _ = try WorkerThread(name: "funnel-huge", stackBytes: 1 << 50) { seen.runs += 1 }
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("could not start thread funnel-huge: ") && message.contains("ulimit -v")
        }
        #expect(seen.runs == 0)
    }
}
