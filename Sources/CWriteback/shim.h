// Linux file calls that Swift's Glibc module hides (they are declared only under
// _GNU_SOURCE, and the module is built without it): sync_file_range, and open's O_TMPFILE.
// Elsewhere a no-op and a refusal.
#ifndef FUNNEL_WRITEBACK_SHIM_H
#define FUNNEL_WRITEBACK_SHIM_H

#include <errno.h>
#include <fcntl.h>

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

/// An unnamed file in `folder` (Linux's O_TMPFILE), open for reading and writing: it never has
/// a name, so no crash can leave it behind. -1 with errno set where the system or the file
/// system cannot make one (the caller then makes a named file and unlinks it at once).
static inline int funnel_open_unnamed_file(const char *folder) {
#if defined(__linux__) && defined(__O_TMPFILE)
    return open(folder, __O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#else
    (void)folder;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

#endif
