// The viewer's Windows command line: every argument vector, and above all
// every hostile link, must come back from the command line as exactly the
// vector it was built from: no extra argument, no lost quote, no shell.
// On Linux the split is the documented algorithm (command_line_reference.h);
// under wine, also the real CommandLineToArgvW and a real child's runtime
// (child_process.h).
#include "windows_command_line.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "command_line_reference.h"
#ifdef _WIN32
#include "child_process.h"
#endif

namespace vncgate::windows {
namespace {

using test::split_command_line;

const std::wstring kViewer = L"C:\\Program Files\\vncgate\\vncgate-viewer.exe";

// Every parser we can ask on this platform, each giving argv.
std::vector<std::pair<std::string, std::vector<std::wstring>>> splits(const std::wstring &line) {
  std::vector<std::pair<std::string, std::vector<std::wstring>>> out;
  out.emplace_back("reference", split_command_line(line));
#ifdef _WIN32
  out.emplace_back("CommandLineToArgvW", test::command_line_to_argv(line));
#endif
  return out;
}

void expect_round_trip(const std::vector<std::wstring> &argv) {
  std::optional<std::wstring> line = build_command_line(argv);
  ASSERT_TRUE(line);
  for (const auto &[who, got] : splits(*line))
    EXPECT_EQ(got, argv) << who << ": " << to_utf8(*line).value_or("?");
}

const std::vector<std::wstring> kAwkward = {L"",
                                            L" ",
                                            L"\t",
                                            L"a b",
                                            L"\"",
                                            L"\\\"",
                                            L"\\\\\"",
                                            L"a\\",
                                            L"a\\\\",
                                            L"\\",
                                            L"\\\\server\\share\\",
                                            L"\" & calc.exe",
                                            L"\"\" \"\"",
                                            L"a\"b\"c",
                                            L"%PATH%",
                                            L"^",
                                            L"a^&b|c<d>e",
                                            L"line\nbreak",
                                            L"cr\rlf\n",
                                            L"--option",
                                            L"-",
                                            L"\u00e9\u4e2d\U0001F600",
                                            L"end with space ",
                                            L"\\\"\\\\\"\\"};

TEST(WindowsCommandLine, AwkwardArgumentsRoundTrip) {
  for (const std::wstring &a : kAwkward) expect_round_trip({kViewer, a});
  expect_round_trip({kViewer});
  std::vector<std::wstring> all{kViewer};
  all.insert(all.end(), kAwkward.begin(), kAwkward.end());
  expect_round_trip(all);
}

TEST(WindowsCommandLine, RandomArgumentsRoundTrip) {
  std::mt19937 rng(2024);
  const std::wstring alphabet = L"ab \t\"\\\n\u00e9";
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::wstring> argv{kViewer};
    int n = std::uniform_int_distribution<int>(0, 4)(rng);
    for (int k = 0; k < n; ++k) {
      std::wstring a;
      int len = std::uniform_int_distribution<int>(0, 10)(rng);
      for (int j = 0; j < len; ++j)
        a += alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
      argv.push_back(a);
    }
    expect_round_trip(argv);
  }
}

TEST(WindowsCommandLine, RefusesWhatCannotBeQuoted) {
  EXPECT_FALSE(build_command_line({}));
  EXPECT_FALSE(build_command_line({L"C:\\a\"b.exe", L"x"}));
  EXPECT_FALSE(build_command_line({kViewer, std::wstring(L"a\0b", 3)}));
}

// Links a hostile page could hand over: each is refused by the parser, or
// reaches the viewer as exactly one argument, unchanged.
TEST(WindowsCommandLine, HostileLinksStayOneArgument) {
  const std::vector<std::wstring> links = {
      L"vncgate://h/console/a\" & calc.exe",
      L"vncgate://h/console/a\"&calc.exe",
      L"vncgate://h/console/a?title=a\"b",
      L"vncgate://h/console/a?title=a\\\"b",
      L"vncgate://h/console/a?title=x\\",
      L"vncgate://h/console/a?title=x\\\\",
      L"vncgate://h/console/a?title=\"%20&calc.exe&\"",
      L"vncgate://h/console/a?title=%25PATH%25",
      L"vncgate://h/console/a?title=^&^|",
      L"vncgate://h/console/a?title=a%0Acalc",
      L"vncgate://h/console/a\ncalc.exe",
      L"vncgate://h/console/a\"\n\"calc",
      L"--option",
      L"-oProxyCommand=calc",
      L"vncgate://h/console/a?title=%22%20--ca=x%20%22",
      L"vnc://h?ConnectionName=\"&calc.exe&\"",
      L"vnc://h?ConnectionName=a\\\"%20\\\\\"b",
      L"vncgate://h/console/a?title=\"\"\"\"",
      L"\"vncgate://h/console/a\"",
      L"vncgate://h/console/a?title=\\\\\\\"",
  };
  size_t accepted = 0;
  for (const std::wstring &link : links) {
    ViewerCommandLine cmd = viewer_command_line(kViewer, {L"--ca=C:\\Users\\a b\\ca.pem", link});
    if (!cmd.command_line) {
      EXPECT_FALSE(cmd.error.empty());
      continue;
    }
    ++accepted;
    const std::vector<std::wstring> want{kViewer, L"--ca=C:\\Users\\a b\\ca.pem", link};
    for (const auto &[who, got] : splits(*cmd.command_line))
      EXPECT_EQ(got, want) << who << ": " << to_utf8(*cmd.command_line).value_or("?");
  }
  EXPECT_GE(accepted, 8u);  // the quoting, not only the parser, was tested
}

TEST(WindowsCommandLine, ViewerOptionsMustCarryTheirValue) {
  const std::wstring link = L"vncgate://h/console/a";
  EXPECT_TRUE(viewer_command_line(kViewer, {link}).command_line);
  EXPECT_TRUE(viewer_command_line(kViewer, {L"--title=a \" b", link}).command_line);
  EXPECT_FALSE(viewer_command_line(kViewer, {}).command_line);
  EXPECT_FALSE(viewer_command_line(kViewer, {L"--ca", L"x.pem", link}).command_line);
  EXPECT_FALSE(viewer_command_line(kViewer, {L"-x=1", link}).command_line);
  EXPECT_FALSE(viewer_command_line(kViewer, {link, L"--ca=x"}).command_line);
  EXPECT_FALSE(viewer_command_line(kViewer, {link, link}).command_line);
}

// The launcher's plan for vncgate-viewer: options only, the link goes
// through the viewer's standard input, so the command line (readable by
// other users of a terminal server) holds no token.
TEST(WindowsCommandLine, LinkOnStdinLeavesNoLinkOnTheCommandLine) {
  const std::vector<std::wstring> plan{L"--ca=C:\\ca.pem", L"--report-state", L"--link-stdin"};
  ViewerCommandLine cmd = viewer_command_line(kViewer, plan);
  ASSERT_TRUE(cmd.command_line) << cmd.error;
  EXPECT_EQ(cmd.command_line->find(L"vncgate://"), std::wstring::npos);
  std::vector<std::wstring> want{kViewer};
  want.insert(want.end(), plan.begin(), plan.end());
  for (const auto &[who, got] : splits(*cmd.command_line)) EXPECT_EQ(got, want) << who;
  // With --link-stdin nothing else may follow: a link there is refused.
  EXPECT_FALSE(viewer_command_line(
                   kViewer, {L"--link-stdin", L"vncgate://h/console/a?token=abcdefghijklmnop1234"})
                   .command_line);
  EXPECT_FALSE(viewer_command_line(kViewer, {L"--report-state"}).command_line);  // no link at all
  EXPECT_FALSE(viewer_command_line(kViewer, {L"--link-stdinx"}).command_line);
}

#ifdef _WIN32
// A real child process's runtime reads the command line as we built it.
TEST(WindowsCommandLine, ChildProcessSeesTheSameVector) {
  std::vector<std::wstring> args = kAwkward;
  args.push_back(L"vncgate://h/console/a?title=a\"b\\");
  std::vector<std::wstring> argv{test::argv_echo_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::optional<std::wstring> line = build_command_line(argv);
  ASSERT_TRUE(line);
  EXPECT_EQ(test::child_arguments(argv[0], *line), args);
}
#endif

// What the launcher sees when Windows substitutes a URL for "%1" in the
// registry command: a URL with a quote in it must never run as options.
TEST(HandlerArguments, SplitUrlsAreRefused) {
  const std::wstring launcher = L"C:\\Program Files\\vncgate\\vncgate-launcher.exe";
  struct Case {
    std::wstring url;
    bool refused;
  };
  const std::vector<Case> cases = {
      {L"vncgate://h/console/a", false},
      {L"vncgate://h/console/a?title=a%20b", false},
      {L"vncgate://h/console/a\" --ca=\\\\evil\\x.pem \"x", true},
      {L"vncgate://h/console/a\" \"b", true},
      {L"vncgate://h/console/a\" --register", true},
      {L"vncgate://h/console/a\"\t--unregister", true},
      {L"vncgate:\" \"--no-gui", true},
      {L"vncgate://h/console/a\\\" --x",
       false},                              // one argument, with a quote: the parser refuses it
      {L"vncgate://h/console/a\\", false},  // ditto: "a\" reads as a"
      {L"vncgate://h/console/a\"", false},
  };
  for (const Case &c : cases) {
    const std::wstring line = L"\"" + launcher + L"\" \"" + c.url + L"\"";
    for (const auto &[who, argv] : splits(line)) {
      std::vector<std::wstring> args(argv.begin() + 1, argv.end());
      HandlerArguments h = check_handler_arguments(args);
      if (c.refused) {
        EXPECT_EQ(h.kind, HandlerInput::Refused) << who << ": " << to_utf8(line).value_or("?");
        EXPECT_FALSE(h.error.empty());
      } else {
        ASSERT_EQ(h.kind, HandlerInput::Link) << who << ": " << to_utf8(line).value_or("?");
        EXPECT_EQ(args.size(), 1u);
      }
    }
  }
}

TEST(HandlerArguments, OptionsThenOneLink) {
  EXPECT_EQ(check_handler_arguments({}).kind, HandlerInput::Options);
  EXPECT_EQ(check_handler_arguments({L"--register"}).kind, HandlerInput::Options);
  HandlerArguments h = check_handler_arguments({L"--no-gui", L"vncgate://h/console/a"});
  EXPECT_EQ(h.kind, HandlerInput::Link);
  EXPECT_EQ(h.link, L"vncgate://h/console/a");
  EXPECT_EQ(check_handler_arguments({L"-"}).kind, HandlerInput::Link);
  EXPECT_EQ(check_handler_arguments({L"a.vv", L"b.vv"}).kind, HandlerInput::Refused);
  EXPECT_EQ(check_handler_arguments({L"vncgate://h/console/a", L"--no-gui"}).kind,
            HandlerInput::Refused);
}

TEST(Utf, ConvertsBothWays) {
  const std::wstring w = L"a\u00e9\u4e2d\U0001F600";
  auto u = to_utf8(w);
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
  EXPECT_EQ(from_utf8(*u), w);
  EXPECT_FALSE(from_utf8("\xff"));
  EXPECT_FALSE(from_utf8("\xc3"));
}

}  // namespace
}  // namespace vncgate::windows
