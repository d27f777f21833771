#ifndef FUNNEL_CLIBFUZZER_H
#define FUNNEL_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer): parses the fuzzer's flags
/// from argc/argv and calls `callback` with every input it generates.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
