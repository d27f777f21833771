#include <sqlite3.h>

/// SQLITE_TRANSIENT is a cast macro Swift cannot import: bind copies of the bytes.
static inline int funnel_sqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

static inline int funnel_sqlite_bind_blob(sqlite3_stmt *statement, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(statement, index, bytes, length, SQLITE_TRANSIENT);
}

/// SQLITE_STATIC: the caller keeps the bytes valid until the parameter is bound again or the
/// statement is finalized (`SQLiteDatabase`'s arena), and SQLite neither copies nor frees them.
static inline int funnel_sqlite_bind_text_static(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_STATIC);
}

static inline int funnel_sqlite_bind_blob_static(sqlite3_stmt *statement, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(statement, index, bytes, length, SQLITE_STATIC);
}

/// sqlite3_config is variadic and cannot be called from Swift. Turns off SQLite's memory
/// statistics, which take a process-wide mutex on every allocation; funnel never reads them.
/// Must run before the first connection opens (SQLITE_MISUSE afterwards, harmless).
static inline int funnel_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
