// Windows command lines, built and checked without Qt or GLib (this code is
// cross-built with mingw-w64 and tested under wine; see tests/windows/).
//
// Starting the viewer: CreateProcessW takes ONE string, and the child's C
// runtime (or CommandLineToArgvW, which Qt uses) splits it into argv again.
// No shell is involved, so "&", "|", "%PATH%" and "^" mean nothing there;
// what matters is that the split gives back exactly the vector we meant:
// quote_argument() quotes every argument so that it does (backslashes
// before a quote doubled, quotes escaped, spaces, tabs and newlines kept
// inside the quotes, an empty argument as ""). The viewer gets the vector
// the Linux launcher hands posix_spawn (viewer_plan.cpp): options of the
// form --name=value, then the link last; the link is one the parser
// accepted, so it never starts with "-" and cannot be read as an option.
//
// Being started from a URL: the registry command is  "<launcher.exe>" "%1".
// Windows puts the URL in place of %1 as it is, without escaping anything,
// then the launcher's runtime splits the line. A URL holding a '"' closes
// the quotes early, and what follows becomes more arguments:
//   vncgate://h/console/a" --ca=\\evil\x.pem "x
//   -> [vncgate://h/console/a] [--ca=\\evil\x.pem] [x]
// and a URL ending in '\' turns the closing quote into a literal one. So
// the launcher must not guess which piece is the link: check_handler_arguments()
// refuses any argument list in which a link is followed by anything, or
// that holds more than one link (the URL always comes first, since the
// registry command puts it first).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vncgate::windows {

// UTF-16 (wchar_t on Windows; UTF-32 where wchar_t is 32 bits, as on the
// Linux test build) <-> UTF-8. nullopt on invalid input (a lone surrogate,
// bad UTF-8).
std::optional<std::string> to_utf8(std::wstring_view text);
std::optional<std::wstring> from_utf8(std::string_view text);

// One argument, quoted for CommandLineToArgvW and the MSVC runtime.
std::wstring quote_argument(std::wstring_view arg);

// argv[0] is the program path: quoted without escapes, as both parsers
// read the program name (it cannot hold '"'). nullopt when the program
// holds '"' or any argument holds a NUL.
std::optional<std::wstring> build_command_line(const std::vector<std::wstring> &argv);

struct ViewerCommandLine {
  std::optional<std::wstring> command_line;
  std::string error;  // why the arguments were refused (N_()-marked text)
};

// The viewer's flags without a value that the launcher passes.
inline constexpr const wchar_t *kLinkStdinFlag = L"--link-stdin";
inline constexpr const wchar_t *kReportStateFlag = L"--report-state";

// The viewer's command line: `program`, then `arguments` as the launcher's
// plan has them: options "--name=value" (the value glued to its option) or
// the flags above, then one console link that parse_console_link()
// accepts, unless --link-stdin is among them: then there is no link on
// the command line at all (the launcher writes it to the viewer's stdin,
// so a token never shows in the process list).
ViewerCommandLine viewer_command_line(std::wstring_view program,
                                      const std::vector<std::wstring> &arguments);

enum class HandlerInput { Options, Link, Refused };

struct HandlerArguments {
  HandlerInput kind = HandlerInput::Options;
  std::wstring link;  // for Link: the one link, .vv path or "-"
  std::string error;  // for Refused (N_()-marked text)
};

// The launcher's arguments (argv[1..]) as Windows split them: only
// options (handled by the normal option parser), or options followed by
// exactly one link/file as the last argument. Anything else is refused.
HandlerArguments check_handler_arguments(const std::vector<std::wstring> &args);

}  // namespace vncgate::windows
