// FUZZ_CHECK(condition): the fuzz targets' assertion. A broken check prints
// the condition and its line, then aborts, which libFuzzer records as a
// crash with its input.
#ifndef TESTS_FUZZ_FUZZ_CHECK_H_
#define TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                   \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)

#endif  // TESTS_FUZZ_FUZZ_CHECK_H_
