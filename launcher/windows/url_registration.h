// Per-user registration of the launcher as the Windows handler for
// vncgate:// and vnc:// links and .vv files, under
// HKEY_CURRENT_USER\Software\Classes. The per-machine MSI writes the same
// keys and values under HKEY_LOCAL_MACHINE\Software\Classes:
//
//   vncgate                          (Default) "URL:vncgate console link"
//                                    "URL Protocol" ""
//   vncgate\DefaultIcon              (Default) "\"<exe>\",0"
//   vncgate\shell\open\command       (Default) "\"<exe>\" \"%1\""
//   vnc ... the same, (Default) "URL:VNC console link"
//   .vv                              (Default) "vncgate.vv"
//                                    "Content Type" "application/x-virt-viewer"
//   vncgate.vv                       (Default) "virt-viewer connection file"
//   vncgate.vv\DefaultIcon, vncgate.vv\shell\open\command as above
//
// The plan (which keys and values) is pure code, shared by the Linux unit
// tests and the Win32 code that writes it; register/unregister exist only
// in the Windows build. See windows_command_line.h for what Windows does
// with "%1".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vncgate::windows {

struct RegistryValue {
  std::wstring name;  // empty: the key's default value
  std::wstring data;  // always REG_SZ
};

struct RegistryKey {
  std::wstring path;  // below Software\Classes
  std::vector<RegistryValue> values;
};

inline constexpr wchar_t kClassesRoot[] = L"Software\\Classes";
inline constexpr wchar_t kVvProgId[] = L"vncgate.vv";

// "<exe>" "%1": what Windows runs for a link or a .vv file.
std::wstring open_command(std::wstring_view exe_path);

// Every key register writes, parents first.
std::vector<RegistryKey> registration_plan(std::wstring_view exe_path);

// What unregister removes, and only while it still names `exe_path`:
// a tree whose  <tree>\shell\open\command  default value is
// open_command(exe_path) is deleted; .vv loses the values we wrote while its
// default value is still our ProgID and that ProgID runs exe_path, and is
// deleted once empty.
struct OwnedTree {
  std::wstring path;              // below Software\Classes
  std::wstring check_key;         // key holding the value that proves ownership
  std::wstring expected_default;  // that key's default value when it is ours
};
std::vector<OwnedTree> owned_trees(std::wstring_view exe_path);
std::vector<std::wstring> extension_values();  // the .vv values we write

#ifdef _WIN32
struct RegistryOutcome {
  bool ok = false;
  std::string error;  // which key failed and the system's reason (English)
};

// Writes registration_plan(exe) into HKCU and tells the shell.
RegistryOutcome register_url_handlers(std::wstring_view exe_path);
// Removes what owned_trees(exe) describes; keys that name another program
// are left alone. Succeeds when nothing was registered.
RegistryOutcome unregister_url_handlers(std::wstring_view exe_path);
// A REG_SZ value below HKCU\Software\Classes (name empty: default value).
std::optional<std::wstring> read_class_value(std::wstring_view key, std::wstring_view name);
#endif

}  // namespace vncgate::windows
