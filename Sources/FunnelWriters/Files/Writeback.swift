import CWriteback

/// Starts the kernel writing a file's new pages to disk while the run goes on, so that the
/// fsync that makes the file durable at the end finds little left to write.
///
/// The kernel of a machine with much memory writes dirty pages only once they are 30 seconds
/// old or a tenth of memory: a run of 3 million lines ended with 240 MB of sessions.ndjson
/// and 760 MB of history dirty, and its last fsyncs waited 1.3 s for them, with nothing else
/// left to do (docs/performance.md). Starting the writes (Linux's `sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE`) does not wait for them, and changes nothing of what is durable
/// when: only the fsync does that.
public enum Writeback {
    /// Starts writing `count` bytes of `fd` from `offset` (a count of 0: to the end of the
    /// file). Failures are ignored: the fsync that follows reports what matters.
    public static func start(_ fd: Int32, offset: Int = 0, count: Int = 0) {
        _ = funnel_start_writeback(fd, Int64(offset), Int64(count))
    }
}
