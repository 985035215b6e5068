// Test helper: prints argv[1..] as its C runtime split them, one line per
// argument, each UTF-16 code unit as 4 hex digits (so quotes, spaces and
// newlines come through unambiguously).
#include <cstdio>

int wmain(int argc, wchar_t **argv) {
  for (int i = 1; i < argc; ++i) {
    for (const wchar_t *p = argv[i]; *p; ++p) std::printf("%04x", static_cast<unsigned>(*p));
    std::printf("\n");
  }
  return 0;
}
