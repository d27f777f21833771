// Linux's sync_file_range, which Swift's Glibc module hides (it is declared only under
// _GNU_SOURCE, and the module is built without it). Elsewhere a no-op.
#ifndef FUNNEL_WRITEBACK_SHIM_H
#define FUNNEL_WRITEBACK_SHIM_H

#ifdef __linux__
extern int sync_file_range(int fd, long long offset, long long count, unsigned int flags);
#endif

/// Starts the kernel writing the dirty pages of `count` bytes of `fd` from `offset` (0: to
/// the end of the file) to disk, and returns without waiting for them.
static inline int funnel_start_writeback(int fd, long long offset, long long count) {
#ifdef __linux__
    return sync_file_range(fd, offset, count, 2 /* SYNC_FILE_RANGE_WRITE */);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}

#endif
