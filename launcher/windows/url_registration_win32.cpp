// The Win32 side of url_registration.h: writes and removes the plan's keys
// below HKEY_CURRENT_USER\Software\Classes with the registry API.
// <shlobj.h> needs <windows.h> first.
// clang-format off
#include <windows.h>
#include <shlobj.h>
// clang-format on

#include <memory>
#include <type_traits>

#include "url_registration.h"
#include "windows_command_line.h"

namespace vncgate::windows {
namespace {

struct KeyCloser {
  void operator()(HKEY key) const { RegCloseKey(key); }
};
using Key = std::unique_ptr<std::remove_pointer_t<HKEY>, KeyCloser>;

std::wstring classes_path(std::wstring_view below) {
  return std::wstring(kClassesRoot) + L"\\" + std::wstring(below);
}

std::string describe(std::wstring_view key, LSTATUS status) {
  wchar_t *text = nullptr;
  FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, static_cast<DWORD>(status), 0, reinterpret_cast<wchar_t *>(&text), 0, nullptr);
  std::string reason = text ? to_utf8(text).value_or("?") : "error " + std::to_string(status);
  if (text) LocalFree(text);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r')) reason.pop_back();
  return "HKCU\\" + to_utf8(classes_path(key)).value_or("?") + ": " + reason;
}

LSTATUS set_string(HKEY key, const std::wstring &name, const std::wstring &data) {
  return RegSetValueExW(key, name.empty() ? nullptr : name.c_str(), 0, REG_SZ,
                        reinterpret_cast<const BYTE *>(data.c_str()),
                        static_cast<DWORD>((data.size() + 1) * sizeof(wchar_t)));
}

void tell_shell() {
  SHChangeNotify(SHCNE_ASSOCCHANGED, SHCNF_IDLIST, nullptr, nullptr);
}

}  // namespace

std::optional<std::wstring> read_class_value(std::wstring_view key, std::wstring_view name) {
  const std::wstring path = classes_path(key), value(name);
  DWORD bytes = 0;
  LSTATUS s = RegGetValueW(HKEY_CURRENT_USER, path.c_str(), value.empty() ? nullptr : value.c_str(),
                           RRF_RT_REG_SZ, nullptr, nullptr, &bytes);
  if (s != ERROR_SUCCESS) return std::nullopt;
  std::wstring data(bytes / sizeof(wchar_t) + 1, L'\0');
  bytes = static_cast<DWORD>(data.size() * sizeof(wchar_t));
  s = RegGetValueW(HKEY_CURRENT_USER, path.c_str(), value.empty() ? nullptr : value.c_str(),
                   RRF_RT_REG_SZ, nullptr, data.data(), &bytes);
  if (s != ERROR_SUCCESS) return std::nullopt;
  data.resize(wcsnlen(data.c_str(), data.size()));
  return data;
}

RegistryOutcome register_url_handlers(std::wstring_view exe_path) {
  for (const RegistryKey &k : registration_plan(exe_path)) {
    HKEY raw = nullptr;
    const std::wstring path = classes_path(k.path);
    LSTATUS s = RegCreateKeyExW(HKEY_CURRENT_USER, path.c_str(), 0, nullptr,
                                REG_OPTION_NON_VOLATILE, KEY_SET_VALUE, nullptr, &raw, nullptr);
    if (s != ERROR_SUCCESS) return {false, describe(k.path, s)};
    Key key(raw);
    for (const RegistryValue &v : k.values) {
      s = set_string(key.get(), v.name, v.data);
      if (s != ERROR_SUCCESS) return {false, describe(k.path, s)};
    }
  }
  tell_shell();
  return {true, {}};
}

RegistryOutcome unregister_url_handlers(std::wstring_view exe_path) {
  // .vv is ours while it names our ProgID and that ProgID runs this program
  // (asked before the ProgID's tree goes).
  const std::wstring progid_command = std::wstring(kVvProgId) + L"\\shell\\open\\command";
  const bool own_vv = read_class_value(L".vv", L"") == std::wstring(kVvProgId) &&
                      read_class_value(progid_command, L"") == open_command(exe_path);
  for (const OwnedTree &t : owned_trees(exe_path)) {
    std::optional<std::wstring> command = read_class_value(t.check_key, L"");
    if (!command || *command != t.expected_default) continue;  // not ours (or gone)
    LSTATUS s = RegDeleteTreeW(HKEY_CURRENT_USER, classes_path(t.path).c_str());
    if (s != ERROR_SUCCESS && s != ERROR_FILE_NOT_FOUND) return {false, describe(t.path, s)};
  }
  // Other programs may have added values or subkeys to .vv
  // (OpenWithProgids): those stay, and so does the key then.
  if (own_vv) {
    const std::wstring path = classes_path(L".vv");
    HKEY raw = nullptr;
    LSTATUS s =
        RegOpenKeyExW(HKEY_CURRENT_USER, path.c_str(), 0, KEY_SET_VALUE | KEY_QUERY_VALUE, &raw);
    if (s != ERROR_SUCCESS) return {false, describe(L".vv", s)};
    Key key(raw);
    for (const std::wstring &name : extension_values()) {
      s = RegDeleteValueW(key.get(), name.empty() ? nullptr : name.c_str());
      if (s != ERROR_SUCCESS && s != ERROR_FILE_NOT_FOUND) return {false, describe(L".vv", s)};
    }
    DWORD subkeys = 0, values = 0;
    s = RegQueryInfoKeyW(key.get(), nullptr, nullptr, nullptr, &subkeys, nullptr, nullptr, &values,
                         nullptr, nullptr, nullptr, nullptr);
    key.reset();
    if (s == ERROR_SUCCESS && subkeys == 0 && values == 0) {
      s = RegDeleteKeyW(HKEY_CURRENT_USER, path.c_str());
      if (s != ERROR_SUCCESS && s != ERROR_FILE_NOT_FOUND) return {false, describe(L".vv", s)};
    }
  }
  tell_shell();
  return {true, {}};
}

}  // namespace vncgate::windows
