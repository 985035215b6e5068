#include "url_registration.h"

namespace vncgate::windows {
namespace {

void add_handler_keys(std::vector<RegistryKey> &plan, const std::wstring &root,
                      const std::wstring &description, std::wstring_view exe, bool url) {
  RegistryKey top{root, {{L"", description}}};
  if (url) top.values.push_back({L"URL Protocol", L""});  // marks a URL protocol
  plan.push_back(std::move(top));
  plan.push_back({root + L"\\DefaultIcon", {{L"", L"\"" + std::wstring(exe) + L"\",0"}}});
  plan.push_back({root + L"\\shell", {}});
  plan.push_back({root + L"\\shell\\open", {}});
  plan.push_back({root + L"\\shell\\open\\command", {{L"", open_command(exe)}}});
}

}  // namespace

std::wstring open_command(std::wstring_view exe_path) {
  return L"\"" + std::wstring(exe_path) + L"\" \"%1\"";
}

std::vector<RegistryKey> registration_plan(std::wstring_view exe_path) {
  std::vector<RegistryKey> plan;
  add_handler_keys(plan, L"vncgate", L"URL:vncgate console link", exe_path, true);
  add_handler_keys(plan, L"vnc", L"URL:VNC console link", exe_path, true);
  plan.push_back({L".vv", {{L"", kVvProgId}, {L"Content Type", L"application/x-virt-viewer"}}});
  add_handler_keys(plan, kVvProgId, L"virt-viewer connection file", exe_path, false);
  return plan;
}

std::vector<OwnedTree> owned_trees(std::wstring_view exe_path) {
  std::vector<OwnedTree> trees;
  for (const wchar_t *root : {L"vncgate", L"vnc", kVvProgId})
    trees.push_back({root, std::wstring(root) + L"\\shell\\open\\command", open_command(exe_path)});
  return trees;
}

std::vector<std::wstring> extension_values() {
  return {L"", L"Content Type"};
}

}  // namespace vncgate::windows
