// CLibFuzzer: libFuzzer's driver entry point, for fuzz targets whose main is Swift top-level code.
#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

// Defined by libFuzzer (linked by -sanitize=fuzzer): parses the fuzzer's flags and runs the loop.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
