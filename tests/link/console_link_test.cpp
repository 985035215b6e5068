// The link parser is the launcher's and viewer's first line of defence:
// every refusal below is a link a hostile web page could hand the browser.
#include "link/console_link.h"

#include <gtest/gtest.h>

#include <string>

namespace vncgate {
namespace {

TEST(ConsoleLink, ParsesFullVncgateLink) {
  auto r = parse_console_link(
      "vncgate://gw.example.com:6000/console/"
      "lpar-7?token=abcdefghijklmnop1234&tls=x509&title=LPAR%207");
  ASSERT_TRUE(r.link) << r.error;
  EXPECT_EQ(r.link->kind, LinkKind::Vncgate);
  EXPECT_EQ(r.link->host, "gw.example.com");
  EXPECT_EQ(r.link->port, 6000);
  EXPECT_EQ(r.link->console, "lpar-7");
  EXPECT_EQ(r.link->token, "abcdefghijklmnop1234");
  EXPECT_EQ(r.link->tls, LinkTls::X509);
  EXPECT_EQ(r.link->title, "LPAR 7");
}

TEST(ConsoleLink, DefaultsPort5901AndAcceptsIpLiterals) {
  auto r = parse_console_link("vncgate://127.0.0.1/console/demo");
  ASSERT_TRUE(r.link) << r.error;
  EXPECT_EQ(r.link->port, 5901);
  auto v6 = parse_console_link("vncgate://[::1]:5901/console/demo");
  ASSERT_TRUE(v6.link) << v6.error;
  EXPECT_EQ(v6.link->host, "::1");
  EXPECT_EQ(v6.link->display_name(), "vncgate://[::1]:5901/console/demo");
}

TEST(ConsoleLink, SchemeIsCaseInsensitive) {
  EXPECT_TRUE(parse_console_link("VNCGATE://host/console/a").link);
}

TEST(ConsoleLink, IdentityIgnoresHostCase) {
  auto a = parse_console_link("vncgate://GW.Example/console/a");
  auto b = parse_console_link("vncgate://gw.example/console/a");
  ASSERT_TRUE(a.link && b.link);
  EXPECT_EQ(a.link->identity(), b.link->identity());
  EXPECT_NE(a.link->identity(),
            parse_console_link("vncgate://gw.example/console/A").link->identity());
}

TEST(ConsoleLink, RoundTripsThroughToUrl) {
  auto r =
      parse_console_link("vncgate://h:7/console/c?token=abcdefghijklmnop&tls=anon&title=a%20b");
  ASSERT_TRUE(r.link);
  auto again = parse_console_link(r.link->to_url());
  ASSERT_TRUE(again.link) << again.error << " " << r.link->to_url();
  EXPECT_EQ(again.link->title, "a b");
  EXPECT_EQ(again.link->token, r.link->token);
  EXPECT_EQ(again.link->tls, LinkTls::Anon);
}

TEST(ConsoleLink, ParsesRfc7869VncUri) {
  auto r = parse_console_link(
      "vnc://"
      "bob@host.example:5905?ConnectionName=Lab%20box&SecurityType=2&ViewOnly=true&Unknown=x");
  ASSERT_TRUE(r.link) << r.error;
  EXPECT_EQ(r.link->kind, LinkKind::Vnc);
  EXPECT_EQ(r.link->username, "bob");
  EXPECT_EQ(r.link->port, 5905);
  EXPECT_EQ(r.link->title, "Lab box");
  EXPECT_EQ(r.link->security_type, 2);
  EXPECT_TRUE(r.link->view_only);
  EXPECT_FALSE(r.link->has_password);
  EXPECT_EQ(parse_console_link("vnc://host").link->port, 5900);
}

TEST(ConsoleLink, FlagsPasswordsInVncUris) {
  auto r = parse_console_link("vnc://host?VncPassword=hunter2");
  ASSERT_TRUE(r.link);
  EXPECT_TRUE(r.link->has_password);
  auto u = parse_console_link("vnc://bob:pw@host");
  ASSERT_TRUE(u.link);
  EXPECT_TRUE(u.link->has_password);
  EXPECT_EQ(u.link->username, "bob");
}

struct Hostile {
  const char *link;
  const char *error_part;
};

class HostileLinks : public ::testing::TestWithParam<Hostile> {};

TEST_P(HostileLinks, AreRefusedWithAReason) {
  auto r = parse_console_link(GetParam().link);
  EXPECT_FALSE(r.link) << GetParam().link;
  EXPECT_NE(r.error.find(GetParam().error_part), std::string::npos)
      << "error was: " << r.error << " for " << GetParam().link;
}

INSTANTIATE_TEST_SUITE_P(
    Table, HostileLinks,
    ::testing::Values(
        Hostile{"", "empty"}, Hostile{"http://host/console/a", "unsupported link type"},
        Hostile{"file:///etc/passwd", "unsupported link type"},
        Hostile{"javascript:alert(1)", "unsupported link type"},
        Hostile{"vncgate://-oProxyCommand=x/console/a", "invalid host"},
        Hostile{"vncgate://host_name/console/a", "invalid host"},
        Hostile{"vncgate://host/console/a b", "space"},
        Hostile{"vncgate://host/console/a\nb", "control"},
        Hostile{"vncgate://host/console/../../etc", "path must be /console/NAME"},
        Hostile{"vncgate://host/console/%2e%2e", "path must be /console/NAME"},
        Hostile{"vncgate://host/console/-rf", "invalid console name"},
        Hostile{"vncgate://host/etc/passwd", "path must be /console/NAME"},
        Hostile{"vncgate://host:0/console/a", "port"},
        Hostile{"vncgate://host:70000/console/a", "out of range"},
        Hostile{"vncgate://host:12ab/console/a", "not a valid link"},
        Hostile{"vncgate://host/console/a?tls=weird", "tls must be"},
        Hostile{"vncgate://host/console/a?token=short", "invalid token"},
        Hostile{"vncgate://host/console/a?token=abcdefghijklmnop%3B%20rm", "invalid token"},
        Hostile{"vncgate://host/console/a?exec=/bin/sh", "unknown link parameter"},
        Hostile{"vncgate://host/console/a?title=x&title=y", "twice"},
        Hostile{"vncgate://host/console/a?title=%0Aevil", "control character"},
        Hostile{"vncgate://user@host/console/a", "no user name"},
        Hostile{"vncgate://host/console/a#frag", "fragment"},
        Hostile{"--help", "command-line option"},
        Hostile{"vnc://host/path", "must not have a path"}, Hostile{"vnc://-bad/", "invalid host"},
        Hostile{"vnc://host?SecurityType=999", "SecurityType"},
        Hostile{"vnc://host?ViewOnly=maybe", "ViewOnly"},
        Hostile{"vncgate://h\xc3\xa9st/console/a", "non-ASCII"}));

TEST(ConsoleLink, RefusesOverLongLinks) {
  std::string longlink = "vncgate://host/console/a?title=" + std::string(2100, 'x');
  auto r = parse_console_link(longlink);
  EXPECT_FALSE(r.link);
  EXPECT_NE(r.error.find("longer than"), std::string::npos);
}

TEST(VvFile, ParsesVncFileWithGatewayKeys) {
  auto r = parse_vv_file(
      "[virt-viewer]\ntype=vnc\nhost=gw.example.com\nport=5901\ntitle=LPAR 7\n"
      "delete-this-file=1\nvncgate-console=lpar7\nvncgate-token=abcdefghijklmnop\n"
      "vncgate-tls=x509\n");
  ASSERT_TRUE(r.link) << r.error;
  EXPECT_EQ(r.link->kind, LinkKind::VirtViewerFile);
  EXPECT_EQ(r.link->host, "gw.example.com");
  EXPECT_EQ(r.link->port, 5901);
  EXPECT_EQ(r.link->console, "lpar7");
  EXPECT_TRUE(r.link->delete_file);
  EXPECT_EQ(r.link->tls, LinkTls::X509);
  EXPECT_EQ(r.link->display_name(), "vncgate://gw.example.com:5901/console/lpar7");
}

TEST(VvFile, PlainVncFileHasNoConsole) {
  auto r = parse_vv_file("[virt-viewer]\ntype=vnc\nhost=10.1.2.3\nport=5900\npassword=x\n");
  ASSERT_TRUE(r.link) << r.error;
  EXPECT_TRUE(r.link->console.empty());
  EXPECT_TRUE(r.link->has_password);
}

TEST(VvFile, RefusesBadFiles) {
  EXPECT_FALSE(parse_vv_file("not a key file\x01").link);
  EXPECT_FALSE(parse_vv_file("[virt-viewer]\ntype=spice\nhost=h\nport=1\n").link);
  EXPECT_FALSE(parse_vv_file("[virt-viewer]\ntype=vnc\nhost=-x\nport=1\n").link);
  EXPECT_FALSE(parse_vv_file("[virt-viewer]\ntype=vnc\nhost=h\nport=99999\n").link);
  EXPECT_FALSE(
      parse_vv_file("[virt-viewer]\ntype=vnc\nhost=h\nport=1\nvncgate-console=../x\n").link);
  EXPECT_FALSE(parse_vv_file("[other]\ntype=vnc\n").link);
  EXPECT_FALSE(parse_vv_file(std::string(70000, '#')).link);
}

}  // namespace
}  // namespace vncgate
