// A hint to the processor that memory will be read soon, which Swift has no spelling for.
#ifndef FUNNEL_PREFETCH_SHIM_H
#define FUNNEL_PREFETCH_SHIM_H

/// Asks for the `lines` cache lines from `address` (64 bytes each) to be loaded into the
/// cache while the caller does other work; a hint only, never a fault.
static inline void funnel_prefetch(const void *address, int lines) {
    for (int line = 0; line < lines; line++) __builtin_prefetch((const char *)address + 64 * line, 0, 3);
}

#endif
