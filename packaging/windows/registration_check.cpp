// registration_check: the launcher's own Windows registration plan and
// argument check (launcher/windows), built for Linux so that test-msi.sh
// holds the MSI to them rather than to a copy of their strings:
//
//   registration_check plan EXE     every value the per-user registration
//                                   writes for EXE, one line each:
//                                   key TAB value name TAB data
//                                   (key below Software\Classes; an empty
//                                   name is the key's default value)
//   registration_check args ARG...  what the launcher makes of the argv
//                                   Windows gave it: "link TAB <link>" or
//                                   "options" (exit 0), "refused TAB <why>"
//                                   (exit 2)
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "url_registration.h"
#include "windows_command_line.h"

using namespace vncgate::windows;

namespace {

std::string utf8(std::wstring_view text) {
  return to_utf8(text).value_or("<invalid>");
}

int print_plan(const char *exe_arg) {
  const std::optional<std::wstring> exe = from_utf8(exe_arg);
  if (!exe) return 1;
  for (const RegistryKey &key : registration_plan(*exe))
    for (const RegistryValue &value : key.values)
      std::printf("%s\t%s\t%s\n", utf8(key.path).c_str(), utf8(value.name).c_str(),
                  utf8(value.data).c_str());
  return 0;
}

int check_args(int argc, char **argv) {
  std::vector<std::wstring> args;
  for (int i = 0; i < argc; ++i) {
    const std::optional<std::wstring> arg = from_utf8(argv[i]);
    if (!arg) return 1;
    args.push_back(*arg);
  }
  const HandlerArguments result = check_handler_arguments(args);
  switch (result.kind) {
    case HandlerInput::Link:
      std::printf("link\t%s\n", utf8(result.link).c_str());
      return 0;
    case HandlerInput::Options:
      std::printf("options\n");
      return 0;
    case HandlerInput::Refused:
      std::printf("refused\t%s\n", result.error.c_str());
      return 2;
  }
  return 1;
}

}  // namespace

int main(int argc, char **argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "plan" && argc == 3) return print_plan(argv[2]);
  if (mode == "args") return check_args(argc - 2, argv + 2);
  std::fprintf(stderr, "usage: registration_check plan EXE | args ARG...\n");
  return 1;
}
