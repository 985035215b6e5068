// The per-user URL registration: the plan of keys and values (everywhere),
// and under wine the real registry: written into HKCU, read back with
// RegQueryValueExW, removed again, and left alone where another program
// owns it.
#include "url_registration.h"

#include <gtest/gtest.h>

#include <algorithm>
#ifdef _WIN32
#include <windows.h>
#endif

namespace vncgate::windows {
namespace {

const std::wstring kExe = L"C:\\Program Files\\vncgate test\\vncgate-launcher.exe";
const std::wstring kCommand = L"\"" + kExe + L"\" \"%1\"";

const RegistryKey *find_key(const std::vector<RegistryKey> &plan, const std::wstring &path) {
  auto it =
      std::find_if(plan.begin(), plan.end(), [&](const RegistryKey &k) { return k.path == path; });
  return it == plan.end() ? nullptr : &*it;
}

std::optional<std::wstring> plan_value(const std::vector<RegistryKey> &plan,
                                       const std::wstring &path, const std::wstring &name) {
  const RegistryKey *k = find_key(plan, path);
  if (!k) return std::nullopt;
  for (const RegistryValue &v : k->values)
    if (v.name == name) return v.data;
  return std::nullopt;
}

TEST(UrlRegistrationPlan, RegistersBothSchemesAndVvFiles) {
  const auto plan = registration_plan(kExe);
  EXPECT_EQ(open_command(kExe), kCommand);
  for (const std::wstring scheme : {L"vncgate", L"vnc"}) {
    EXPECT_EQ(plan_value(plan, scheme, L"URL Protocol"), L"") << "URL Protocol marks a URL scheme";
    EXPECT_TRUE(plan_value(plan, scheme, L"").value_or(L"").starts_with(L"URL:"));
    EXPECT_EQ(plan_value(plan, scheme + L"\\shell\\open\\command", L""), kCommand);
    EXPECT_EQ(plan_value(plan, scheme + L"\\DefaultIcon", L""), L"\"" + kExe + L"\",0");
  }
  EXPECT_EQ(plan_value(plan, L".vv", L""), L"vncgate.vv");
  EXPECT_EQ(plan_value(plan, L".vv", L"Content Type"), L"application/x-virt-viewer");
  EXPECT_FALSE(plan_value(plan, L"vncgate.vv", L"URL Protocol")) << "a file type is no URL scheme";
  EXPECT_EQ(plan_value(plan, L"vncgate.vv\\shell\\open\\command", L""), kCommand);
  // Parents come before their subkeys.
  for (size_t i = 0; i < plan.size(); ++i) {
    size_t slash = plan[i].path.rfind(L'\\');
    if (slash == std::wstring::npos) continue;
    const RegistryKey *parent = find_key(plan, plan[i].path.substr(0, slash));
    ASSERT_TRUE(parent) << "no parent for a key";
    EXPECT_LT(parent - plan.data(), static_cast<long>(i));
  }
}

TEST(UrlRegistrationPlan, UnregisterOnlyWhatNamesThisProgram) {
  const auto trees = owned_trees(kExe);
  ASSERT_EQ(trees.size(), 3u);
  for (const OwnedTree &t : trees) {
    EXPECT_EQ(t.expected_default, kCommand);
    EXPECT_EQ(t.check_key, t.path + L"\\shell\\open\\command");
  }
  EXPECT_NE(owned_trees(L"C:\\other\\launcher.exe")[0].expected_default, kCommand);
}

#ifdef _WIN32
// Independent of the code under test: RegOpenKeyExW + RegQueryValueExW.
std::optional<std::wstring> query(const std::wstring &below_classes, const wchar_t *name) {
  HKEY key = nullptr;
  const std::wstring path = std::wstring(L"Software\\Classes\\") + below_classes;
  if (RegOpenKeyExW(HKEY_CURRENT_USER, path.c_str(), 0, KEY_QUERY_VALUE, &key) != ERROR_SUCCESS)
    return std::nullopt;
  DWORD type = 0, bytes = 0;
  std::wstring data;
  LSTATUS s = RegQueryValueExW(key, name, nullptr, &type, nullptr, &bytes);
  if (s == ERROR_SUCCESS && type == REG_SZ) {
    data.resize(bytes / sizeof(wchar_t) + 1);
    s = RegQueryValueExW(key, name, nullptr, &type, reinterpret_cast<BYTE *>(data.data()), &bytes);
    data.resize(wcsnlen(data.c_str(), bytes / sizeof(wchar_t)));
  }
  RegCloseKey(key);
  if (s != ERROR_SUCCESS || type != REG_SZ) return std::nullopt;
  return data;
}

bool key_exists(const std::wstring &below_classes) {
  HKEY key = nullptr;
  const std::wstring path = std::wstring(L"Software\\Classes\\") + below_classes;
  LSTATUS s = RegOpenKeyExW(HKEY_CURRENT_USER, path.c_str(), 0, KEY_READ, &key);
  if (s == ERROR_SUCCESS) RegCloseKey(key);
  return s == ERROR_SUCCESS;
}

TEST(UrlRegistrationWin32, RegistersReadsBackAndUnregisters) {
  ASSERT_TRUE(unregister_url_handlers(kExe).ok);  // a clean start
  RegistryOutcome r = register_url_handlers(kExe);
  ASSERT_TRUE(r.ok) << r.error;
  for (const RegistryKey &k : registration_plan(kExe)) {
    EXPECT_TRUE(key_exists(k.path));
    for (const RegistryValue &v : k.values)
      EXPECT_EQ(query(k.path, v.name.empty() ? nullptr : v.name.c_str()), v.data);
  }
  EXPECT_EQ(query(L"vncgate\\shell\\open\\command", nullptr), kCommand);
  EXPECT_EQ(read_class_value(L"vnc", L"URL Protocol"), L"");

  r = unregister_url_handlers(kExe);
  ASSERT_TRUE(r.ok) << r.error;
  for (const wchar_t *gone : {L"vncgate", L"vnc", L".vv", L"vncgate.vv"})
    EXPECT_FALSE(key_exists(gone));
  EXPECT_TRUE(unregister_url_handlers(kExe).ok) << "unregistering twice is fine";
}

TEST(UrlRegistrationWin32, LeavesOtherProgramsKeysAlone) {
  const std::wstring other = L"C:\\Other\\viewer.exe";
  ASSERT_TRUE(register_url_handlers(other).ok);
  // Another program also lists itself for .vv files.
  HKEY key = nullptr;
  ASSERT_EQ(RegCreateKeyExW(HKEY_CURRENT_USER, L"Software\\Classes\\.vv\\OpenWithProgids", 0,
                            nullptr, 0, KEY_SET_VALUE, nullptr, &key, nullptr),
            ERROR_SUCCESS);
  RegCloseKey(key);

  ASSERT_TRUE(unregister_url_handlers(kExe).ok);  // we are not the registered program
  EXPECT_EQ(query(L"vncgate\\shell\\open\\command", nullptr), L"\"" + other + L"\" \"%1\"");
  EXPECT_EQ(query(L".vv", nullptr), L"vncgate.vv");

  ASSERT_TRUE(register_url_handlers(kExe).ok);
  ASSERT_TRUE(unregister_url_handlers(kExe).ok);
  EXPECT_FALSE(key_exists(L"vncgate"));
  EXPECT_FALSE(query(L".vv", nullptr)) << "our ProgID is gone from .vv";
  EXPECT_TRUE(key_exists(L".vv\\OpenWithProgids")) << "the other program's subkey stays";
  RegDeleteTreeW(HKEY_CURRENT_USER, L"Software\\Classes\\.vv");
}
#endif

}  // namespace
}  // namespace vncgate::windows
