#include "windows_command_line.h"

#include <algorithm>

#include "link/console_link.h"
#include "link/link_text.h"

namespace vncgate::windows {
namespace {

bool is_option(std::wstring_view arg) {
  return arg.size() > 1 && arg[0] == L'-';
}

}  // namespace

std::optional<std::string> to_utf8(std::wstring_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<char32_t>(text[i]);
    if constexpr (sizeof(wchar_t) == 2) {
      if (c >= 0xd800 && c <= 0xdbff) {
        if (i + 1 >= text.size()) return std::nullopt;
        auto low = static_cast<char32_t>(text[i + 1]);
        if (low < 0xdc00 || low > 0xdfff) return std::nullopt;
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        ++i;
      } else if (c >= 0xdc00 && c <= 0xdfff) {
        return std::nullopt;
      }
    }
    if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) return std::nullopt;
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xe0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

std::optional<std::wstring> from_utf8(std::string_view text) {
  // NUL is valid UTF-8 but invalid for utf8_valid (GLib's rule); allow it here.
  std::wstring out;
  size_t i = 0;
  while (i < text.size()) {
    auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 == 0) {
      out += L'\0';
      ++i;
      continue;
    }
    size_t len = linktext::utf8_valid_prefix(text.substr(i, b0 < 0x80    ? 1
                                                            : b0 >= 0xf0 ? 4
                                                            : b0 >= 0xe0 ? 3
                                                                         : 2));
    if (len == 0) return std::nullopt;
    char32_t c = len == 1 ? b0 : len == 2 ? (b0 & 0x1f) : len == 3 ? (b0 & 0x0f) : (b0 & 0x07);
    for (size_t k = 1; k < len; ++k)
      c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    if (sizeof(wchar_t) == 2 && c >= 0x10000) {
      c -= 0x10000;
      out += static_cast<wchar_t>(0xd800 + (c >> 10));
      out += static_cast<wchar_t>(0xdc00 + (c & 0x3ff));
    } else {
      out += static_cast<wchar_t>(c);
    }
    i += len;
  }
  return out;
}

std::wstring quote_argument(std::wstring_view arg) {
  // Inside quotes, backslashes are literal unless a quote follows them:
  // then 2n backslashes + '"' ends the quotes and 2n+1 make a literal '"'.
  std::wstring out = L"\"";
  size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    out.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
    backslashes = 0;
    out += c;
  }
  out.append(backslashes * 2, L'\\');  // before the closing quote
  out += L'"';
  return out;
}

std::optional<std::wstring> build_command_line(const std::vector<std::wstring> &argv) {
  if (argv.empty() || argv[0].empty() || argv[0].find(L'"') != std::wstring::npos)
    return std::nullopt;
  std::wstring line;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i].find(L'\0') != std::wstring::npos) return std::nullopt;
    if (i == 0) {
      line = L"\"" + argv[0] + L"\"";
    } else {
      line += L' ';
      line += quote_argument(argv[i]);
    }
  }
  return line;
}

ViewerCommandLine viewer_command_line(std::wstring_view program,
                                      const std::vector<std::wstring> &arguments) {
  auto refuse = [](const char *why) { return ViewerCommandLine{std::nullopt, why}; };
  if (arguments.empty()) return refuse(N_("the viewer needs a console link"));
  auto is_flag = [](const std::wstring &a) { return a == kLinkStdinFlag || a == kReportStateFlag; };
  // --link-stdin: the link comes through standard input, every argument is
  // an option; otherwise the last argument is the link.
  const bool link_stdin = std::find(arguments.begin(), arguments.end(),
                                    std::wstring(kLinkStdinFlag)) != arguments.end();
  const size_t options = link_stdin ? arguments.size() : arguments.size() - 1;
  for (size_t i = 0; i < options; ++i) {
    const std::wstring &opt = arguments[i];
    if (is_flag(opt)) continue;
    if (!opt.starts_with(L"--") || opt.find(L'=') == std::wstring::npos || opt.size() < 4)
      return refuse(N_("viewer options must have the form --name=value"));
  }
  if (!link_stdin) {
    std::optional<std::string> link = to_utf8(arguments.back());
    if (!link) return refuse(N_("the console link is not valid text"));
    LinkParse parsed = parse_console_link(*link);
    if (!parsed.link) return ViewerCommandLine{std::nullopt, parsed.error};
  }
  std::vector<std::wstring> argv{std::wstring(program)};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  std::optional<std::wstring> line = build_command_line(argv);
  if (!line) return refuse(N_("the viewer's command line cannot be built"));
  return ViewerCommandLine{std::move(line), {}};
}

HandlerArguments check_handler_arguments(const std::vector<std::wstring> &args) {
  HandlerArguments out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (is_option(args[i])) continue;
    if (i + 1 != args.size()) {
      // A link (or file) with more after it: a URL split at a quote, or
      // several links. Neither is guessed at.
      out.kind = HandlerInput::Refused;
      out.error =
          N_("the link was split into several arguments (it may contain a quote); "
             "it was refused");
      return out;
    }
    out.kind = HandlerInput::Link;
    out.link = args[i];
  }
  return out;
}

}  // namespace vncgate::windows
