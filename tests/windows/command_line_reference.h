// How the MSVC runtime (2008 and later) and CommandLineToArgvW split a
// command line, written out from their documented rules, so the Linux test
// build can check quote_argument() too. Under wine the tests also ask the
// real CommandLineToArgvW and a real child process's runtime.
#pragma once

#include <string>
#include <vector>

namespace vncgate::windows::test {

inline std::vector<std::wstring> split_command_line(const std::wstring &line) {
  std::vector<std::wstring> argv;
  size_t i = 0;
  // argv[0]: up to the next quote when quoted, else up to white space; no escapes.
  std::wstring program;
  if (i < line.size() && line[i] == L'"') {
    for (++i; i < line.size() && line[i] != L'"'; ++i) program += line[i];
    if (i < line.size()) ++i;
  } else {
    for (; i < line.size() && line[i] != L' ' && line[i] != L'\t'; ++i) program += line[i];
  }
  argv.push_back(program);
  for (;;) {
    while (i < line.size() && (line[i] == L' ' || line[i] == L'\t')) ++i;
    if (i >= line.size()) break;
    std::wstring arg;
    bool quoted = false;
    while (i < line.size()) {
      wchar_t c = line[i];
      if (!quoted && (c == L' ' || c == L'\t')) break;
      if (c == L'\\') {
        size_t n = 0;
        while (i < line.size() && line[i] == L'\\') ++n, ++i;
        if (i < line.size() && line[i] == L'"') {
          arg.append(n / 2, L'\\');
          if (n % 2) {
            arg += L'"';
            ++i;
          }
        } else {
          arg.append(n, L'\\');
        }
        continue;
      }
      if (c == L'"') {
        if (quoted && i + 1 < line.size() && line[i + 1] == L'"') {
          arg += L'"';  // "" inside quotes: a literal quote (runtime 2008+)
          i += 2;
          continue;
        }
        quoted = !quoted;
        ++i;
        continue;
      }
      arg += c;
      ++i;
    }
    argv.push_back(arg);
  }
  return argv;
}

}  // namespace vncgate::windows::test
