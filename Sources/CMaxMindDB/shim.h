#ifndef FUNNEL_CMAXMINDDB_SHIM_H
#define FUNNEL_CMAXMINDDB_SHIM_H

#include <maxminddb.h>

/* MMDB_get_value is variadic and the entry's value sits in an anonymous union, so Swift
 * reaches neither. This looks up a NULL-terminated key path under `entry` and hands back the
 * UTF-8 string there (not NUL-terminated: use `length`). `bytes` is NULL when the path is
 * absent or holds something other than a string. Returns an MMDB_* status. */
static inline int funnel_mmdb_string(MMDB_entry_s *entry, const char *const *path,
                                     const char **bytes, uint32_t *length) {
    MMDB_entry_data_s data;
    *bytes = NULL;
    *length = 0;
    int status = MMDB_aget_value(entry, &data, path);
    if (status == MMDB_SUCCESS && data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
        *bytes = data.utf8_string;
        *length = data.data_size;
    }
    /* A path that does not fit the data (a string where a map was expected) is an absent
     * value, not a damaged file. */
    return status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ? MMDB_SUCCESS : status;
}

/* MMDB_open checks the metadata and the section sizes, not the search tree: a zeroed or
 * overwritten tree would give wrong answers instead of an error. This reads every node and
 * checks that each record leads to a node, to "no data" or into the data section (a record of
 * 0, back to the root, is invalid too). Returns an MMDB_* status; on failure `bad_node` is
 * the first bad node. */
static inline int funnel_mmdb_verify_tree(const MMDB_s *mmdb, uint32_t *bad_node) {
    for (uint32_t node = 0; node < mmdb->metadata.node_count; node++) {
        MMDB_search_node_s records;
        int status = MMDB_read_node(mmdb, node, &records);
        if (status == MMDB_SUCCESS && (records.left_record_type == MMDB_RECORD_TYPE_INVALID ||
                                       records.right_record_type == MMDB_RECORD_TYPE_INVALID)) {
            status = MMDB_CORRUPT_SEARCH_TREE_ERROR;
        }
        if (status != MMDB_SUCCESS) {
            *bad_node = node;
            return status;
        }
    }
    return MMDB_SUCCESS;
}

#endif
