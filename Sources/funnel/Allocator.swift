import CJemalloc

/// The process's allocator is jemalloc: importing CJemalloc links libjemalloc ahead of libc,
/// so every `malloc` of the process (Swift's runtime, SQLite, hiredis, zlib) is jemalloc's. A
/// run makes and frees millions of small blocks on three threads and on the flushes' workers;
/// glibc's malloc spent about 13% of a run's CPU on them (docs/performance-log.md, "The
/// evening session of 2026-12-01").
enum Allocator {
    /// Freed pages go back to the system after one second instead of jemalloc's ten. A run's
    /// memory turns over with every flush (a few seconds apart), so with ten seconds the
    /// pages of several flushes were held at once: the peak RSS of a run at L went from 171
    /// MiB (glibc) to 170 to 190 MiB, and M's from 150 to up to 171. With one second: 163 to
    /// 168 at L, 140 to 148 at M, at the same speed. Set at start-up, as the default of the
    /// arenas made later and on each one made already (those not made yet refuse it); a
    /// `MALLOC_CONF` in the environment is read first and overridden here.
    static func configure() {
        var arenas: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        if mallctl("arenas.narenas", &arenas, &size, nil, 0) != 0 { arenas = 0 }
        for (name, value) in [("dirty_decay_ms", 1_000), ("muzzy_decay_ms", 0)] {
            set("arenas." + name, value)
            for arena in 0..<arenas { set("arena.\(arena)." + name, value) }
        }
    }

    /// A failure leaves jemalloc's default, which costs memory, not correctness.
    private static func set(_ name: String, _ value: Int) {
        var value = value
        _ = mallctl(name, nil, nil, &value, MemoryLayout<Int>.size)
    }
}
