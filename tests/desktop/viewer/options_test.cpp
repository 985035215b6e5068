// The viewer's command line: links, separate options put together into a
// link, .vv files, and every refusal with exit code 2 material.
#include "options.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace vncgate::viewer {
namespace {

ArgsResult parse(std::vector<std::string> args) {
  args.insert(args.begin(), "vncgate-viewer");
  return parse_viewer_args(args);
}

TEST(ViewerOptions, TakesAVncgateLink) {
  auto r = parse({"vncgate://gw.example:6000/console/lpar7?title=Seven"});
  ASSERT_TRUE(r.options) << r.error;
  ASSERT_TRUE(r.options->link);
  EXPECT_EQ(r.options->link->host, "gw.example");
  EXPECT_EQ(r.options->link->console, "lpar7");
  EXPECT_EQ(r.options->link->title, "Seven");
  EXPECT_FALSE(r.options->non_interactive);
}

// How the launcher hands the link over: on stdin, so no token is in argv.
TEST(ViewerOptions, ReadsTheLinkFromStdin) {
  auto with_input = [](std::vector<std::string> args, const std::string &input) {
    args.insert(args.begin(), "vncgate-viewer");
    std::istringstream in(input);
    return parse_viewer_args(args, nullptr, &in);
  };
  auto r = with_input({"--report-state", "--link-stdin"},
                      "vncgate://gw.example/console/lpar7?token=abcdefghijklmnop1234\nignored\n");
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_TRUE(r.options->link_stdin);
  EXPECT_TRUE(r.options->report_state);
  EXPECT_EQ(r.options->link->token, "abcdefghijklmnop1234");
  EXPECT_TRUE(r.options->vv_path.empty());
  r = with_input({"--link-stdin"}, "vnc://10.1.2.3:5905\r\n");
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->link->port, 5905);
  r = with_input({"--link-stdin"}, "vncgate://-x/console/a\n");
  EXPECT_FALSE(r.options);
  EXPECT_TRUE(r.bad_link);
  r = with_input({"--link-stdin"}, "/etc/passwd\n");  // no file names through a pipe
  EXPECT_FALSE(r.options);
  EXPECT_TRUE(r.bad_link);
  r = with_input({"--link-stdin"}, "");
  EXPECT_FALSE(r.options);
  r = with_input({"--link-stdin"}, std::string(kMaxStdinLink + 10, 'a'));
  EXPECT_FALSE(r.options);
  r = with_input({"--link-stdin", "vncgate://gw.example/console/a"},
                 "vncgate://gw.example/console/a\n");
  EXPECT_FALSE(r.options);
  EXPECT_FALSE(r.bad_link);
}

TEST(ViewerOptions, SeparateOptionsBecomeALink) {
  auto r = parse({"--host", "127.0.0.1", "--port", "7000", "--console", "c1", "--token",
                  "abcdefghijklmnopqrst"});
  ASSERT_TRUE(r.options) << r.error;
  const ConsoleLink &l = *r.options->link;
  EXPECT_EQ(l.kind, LinkKind::Vncgate);
  EXPECT_EQ(l.port, 7000);
  EXPECT_EQ(l.console, "c1");
  EXPECT_EQ(l.token, "abcdefghijklmnopqrst");
  auto plain = parse({"--host", "::1"});
  ASSERT_TRUE(plain.options) << plain.error;
  EXPECT_EQ(plain.options->link->kind, LinkKind::Vnc);
  EXPECT_EQ(plain.options->link->port, 5900);
}

TEST(ViewerOptions, ScreenshotImpliesAutomation) {
  auto r = parse(
      {"--screenshot", "/tmp/x.png", "--title", "T", "--fullscreen", "vncgate://h/console/c"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->screenshot, "/tmp/x.png");
  EXPECT_EQ(r.options->title, "T");
  EXPECT_TRUE(r.options->fullscreen);
  EXPECT_TRUE(r.options->non_interactive);
  EXPECT_TRUE(r.options->no_single_instance);
}

TEST(ViewerOptions, VersionAndInstallCaNeedNoLink) {
  auto v = parse({"--version"});
  ASSERT_TRUE(v.options) << v.error;
  EXPECT_TRUE(v.options->version);
  EXPECT_FALSE(v.options->link);
  auto c = parse({"--install-ca", "/tmp/ca.pem", "--yes"});
  ASSERT_TRUE(c.options) << c.error;
  EXPECT_EQ(c.options->install_ca, "/tmp/ca.pem");
  EXPECT_TRUE(c.options->yes);
  EXPECT_FALSE(parse({"--install-ca", "/tmp/ca.pem", "vncgate://h/console/c"}).options);
}

TEST(ViewerOptions, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    bool bad_link;
  };
  const Case cases[] = {
      {{}, false},
      {{"--bogus"}, false},
      {{"vncgate://h/console/a", "vncgate://h/console/b"}, false},
      {{"--host", "h", "vncgate://h/console/a"}, false},
      {{"--console", "c"}, false},
      {{"--port", "notanumber", "--host", "h"}, false},
      {{"--title", std::string("\xff\xfe"), "vncgate://h/console/a"}, false},
      {{"--host", "-oProxyCommand=x"}, true},
      {{"--host", "h", "--port", "70000"}, true},
      {{"--host", "h", "--console", "../etc"}, true},
      {{"--host", "h", "--token", "abcdefghijklmnopqrst"}, true},
      {{"--host", "h", "--console", "c", "--token", "short"}, true},
      {{"vncgate://-evil/console/x"}, true},
      {{"http://example.com/"}, true},
      {{"vncgate://h/console/a b"}, true},
  };
  for (const auto &c : cases) {
    auto r = parse(c.args);
    std::string joined;
    for (const auto &a : c.args) joined += a + " ";
    EXPECT_FALSE(r.options) << joined;
    EXPECT_FALSE(r.error.empty()) << joined;
    EXPECT_EQ(r.bad_link, c.bad_link) << joined << ": " << r.error;
  }
}

TEST(ViewerOptions, RefusedLinkSaysWhy) {
  auto r = parse({"vncgate://-evil/console/x"});
  EXPECT_EQ(r.error, "invalid host in link");
  EXPECT_EQ(parse({"vncgate://h/console/x?tls=weak"}).error, "tls must be x509, anon or none");
}

TEST(ViewerOptions, ReadsVvFiles) {
  gchar *dir = g_dir_make_tmp("vncgate-vv-XXXXXX", nullptr);
  ASSERT_NE(dir, nullptr);
  const std::string path = std::string(dir) + "/console.vv";
  std::ofstream(path) << "[virt-viewer]\ntype=vnc\nhost=gw.example\nport=5901\n"
                         "title=From a file\nvncgate-console=lpar3\n";
  auto r = parse({path});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->vv_path, path);
  EXPECT_EQ(r.options->link->console, "lpar3");
  EXPECT_EQ(r.options->link->title, "From a file");

  std::ofstream(path) << "[virt-viewer]\ntype=spice\nhost=h\nport=1\n";
  auto spice = parse({path});
  EXPECT_FALSE(spice.options);
  EXPECT_TRUE(spice.bad_link);
  EXPECT_EQ(spice.error, ".vv file is not of type vnc");

  std::ofstream(path) << std::string(kMaxVvFileSize + 10, '#');
  auto big = parse({path});
  EXPECT_FALSE(big.options);
  EXPECT_TRUE(big.bad_link);
  g_unlink(path.c_str());
  auto missing = parse({path});
  EXPECT_FALSE(missing.options);
  EXPECT_TRUE(missing.bad_link);
  g_rmdir(dir);
  g_free(dir);
}

}  // namespace
}  // namespace vncgate::viewer
