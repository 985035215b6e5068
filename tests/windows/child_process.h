// Windows-only test helpers: the real CommandLineToArgvW, and a real child
// process (argv_echo.exe, built next to the tests) whose C runtime splits
// the command line we hand CreateProcessW.
#pragma once

// <shellapi.h> needs <windows.h> first.
// clang-format off
#include <windows.h>
#include <shellapi.h>
// clang-format on

#include <string>
#include <vector>

namespace vncgate::windows::test {

inline std::vector<std::wstring> command_line_to_argv(const std::wstring &line) {
  int argc = 0;
  wchar_t **argv = CommandLineToArgvW(line.c_str(), &argc);
  std::vector<std::wstring> out;
  for (int i = 0; argv && i < argc; ++i) out.emplace_back(argv[i]);
  LocalFree(argv);
  return out;
}

// argv_echo.exe in the directory of the running test program.
inline std::wstring argv_echo_path() {
  std::wstring self(MAX_PATH, L'\0');
  DWORD n = GetModuleFileNameW(nullptr, self.data(), static_cast<DWORD>(self.size()));
  self.resize(n);
  return self.substr(0, self.find_last_of(L"\\/") + 1) + L"argv_echo.exe";
}

// Runs `program` with `command_line` and returns the arguments (argv[1..])
// it printed: one line per argument, UTF-16 code units as 4 hex digits.
inline std::vector<std::wstring> child_arguments(const std::wstring &program,
                                                 const std::wstring &command_line) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  HANDLE read_end = nullptr, write_end = nullptr;
  if (!CreatePipe(&read_end, &write_end, &sa, 0)) return {L"<CreatePipe failed>"};
  SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdOutput = write_end;
  si.hStdError = write_end;
  si.hStdInput = nullptr;
  PROCESS_INFORMATION pi{};
  std::wstring line = command_line;  // CreateProcessW may write to it
  BOOL ok = CreateProcessW(program.c_str(), line.data(), nullptr, nullptr, TRUE, 0, nullptr,
                           nullptr, &si, &pi);
  CloseHandle(write_end);
  if (!ok) {
    CloseHandle(read_end);
    return {L"<CreateProcessW failed>"};
  }
  std::string out;
  char buf[4096];
  DWORD got = 0;
  while (ReadFile(read_end, buf, sizeof buf, &got, nullptr) && got > 0) out.append(buf, got);
  CloseHandle(read_end);
  WaitForSingleObject(pi.hProcess, 30000);
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  std::vector<std::wstring> args;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string hex = out.substr(pos, nl - pos);
    if (!hex.empty() && hex.back() == '\r') hex.pop_back();
    std::wstring arg;
    for (size_t i = 0; i + 4 <= hex.size(); i += 4)
      arg += static_cast<wchar_t>(std::stoul(hex.substr(i, 4), nullptr, 16));
    args.push_back(arg);
    pos = nl + 1;
  }
  return args;
}

}  // namespace vncgate::windows::test
