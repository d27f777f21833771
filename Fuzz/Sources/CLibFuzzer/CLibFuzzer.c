// Declarations only: the functions live in libFuzzer, linked by -sanitize=fuzzer.
