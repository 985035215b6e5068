// The corners of URI and key-file syntax the GLib-free parser reproduces
// (the differential test compares it with GLib on generated input; these
// name the rules). Runs on Linux and, cross-built, under wine.
#include <gtest/gtest.h>

#include <string>

#include "link/console_link.h"

namespace vncgate {
namespace {

std::string error_of(std::string_view link) {
  return parse_console_link(link).error;
}

TEST(LinkEdges, PercentDecoding) {
  auto r = parse_console_link("vncgate://h%41st/console/%6c%70ar?title=%7e%41%2d%C3%A9%20x");
  ASSERT_TRUE(r.link) << r.error;
  EXPECT_EQ(r.link->host, "hAst");
  EXPECT_EQ(r.link->console, "lpar");
  EXPECT_EQ(r.link->title, "~A-\xc3\xa9 x");
  EXPECT_EQ(r.link->to_url(), "vncgate://hAst:5901/console/lpar?title=~A-%C3%A9%20x");
  EXPECT_EQ(parse_console_link("vncgate://h/console/a?title=a%26b%3Dc").link->title, "a&b=c");
  EXPECT_EQ(parse_console_link("vncgate://h/console/a?title=a+b").link->title, "a+b");
  EXPECT_EQ(error_of("vncgate://h/console/a%zz"), "not a valid link: Invalid %-encoding in URI");
  EXPECT_EQ(error_of("vncgate://h/console/a%4"), "not a valid link: Invalid %-encoding in URI");
  EXPECT_EQ(error_of("vncgate://h/console/a%ff"), "not a valid link: Non-UTF-8 characters in URI");
  EXPECT_EQ(error_of("vncgate://h/console/a?title=%ff"),
            "malformed link parameters: Non-UTF-8 characters in URI");
  EXPECT_EQ(error_of("vncgate://h/console/a?title=%00"),
            "malformed link parameters: Non-UTF-8 characters in URI");
  EXPECT_EQ(error_of("vncgate://h/console/a?title"),
            "malformed link parameters: Missing ‘=’ and parameter value");
  EXPECT_EQ(error_of("vncgate://h/console/a?title=x&&tls=x509"),
            "malformed link parameters: Missing ‘=’ and parameter value");
  EXPECT_TRUE(parse_console_link("vncgate://h/console/a?title=x&").link);
  // Dot segments go after decoding: %2e%2e is "..".
  EXPECT_EQ(parse_console_link("vncgate://h/console/a/%2e%2e/b").link->console, "b");
  EXPECT_EQ(error_of("vncgate://h/console/%2e%2e"), "vncgate link path must be /console/NAME");
  EXPECT_EQ(parse_console_link("vncgate://h/./console/x/../y").link->console, "y");
  // An IP address must not be percent-encoded.
  EXPECT_EQ(error_of("vncgate://1%2e2.3.4/console/a"),
            "not a valid link: Illegal encoded IP address ‘1%2e2.3.4’ in URI");
}

TEST(LinkEdges, UserInfoIsDecodedTwice) {
  // As with GUri: the user info arrives decoded, and the user name is then
  // unescaped once more.
  auto r = parse_console_link("vnc://a%2541@h");
  ASSERT_TRUE(r.link) << r.error;
  EXPECT_EQ(r.link->username, "aA");
  auto p = parse_console_link("vnc://bob%3Asecret@h");
  ASSERT_TRUE(p.link);
  EXPECT_EQ(p.link->username, "bob");
  EXPECT_TRUE(p.link->has_password);
  EXPECT_EQ(error_of("vnc://a%2500@h"), "invalid user name in link");
}

TEST(LinkEdges, Ipv6Literals) {
  for (const char *ok : {"[::1]", "[::]", "[1:2:3:4:5:6:7:8]", "[::ffff:1.2.3.4]",
                         "[1:2:3:4:5:6:1.2.3.4]", "[fe80::1%25eth0]"}) {
    auto r = parse_console_link(std::string("vnc://") + ok + ":5905");
    ASSERT_TRUE(r.link) << ok << ": " << r.error;
    EXPECT_EQ(r.link->port, 5905);
  }
  EXPECT_EQ(parse_console_link("vnc://[fe80::1%25eth0]").link->host, "fe80::1%eth0");
  EXPECT_EQ(parse_console_link("vnc://[::1]").link->display_name(), "vnc://[::1]:5900");
  for (const char *bad : {"[::1", "[1::2::3]", "[1:2:3:4:5:6:7:8:9]", "[12345::1]", "[1.2.3.4]",
                          "[::1%eth0]", "[::1%25]", "[::1]x", "[]"}) {
    EXPECT_NE(error_of(std::string("vnc://") + bad).find("Invalid IPv6 address"), std::string::npos)
        << bad;
  }
  EXPECT_EQ(error_of("vnc://[::1]:99999"), "not a valid link: Port ‘99999’ in URI is out of range");
  EXPECT_EQ(error_of("vnc://[::1]:+1"), "not a valid link: Could not parse port ‘+1’ in URI");
  EXPECT_EQ(parse_console_link("vnc://[::1]:").link->port, 5900) << "an empty port is no port";
  EXPECT_TRUE(is_valid_link_host("1.2.3.4"));
  EXPECT_TRUE(is_valid_link_host("1.2.3"));  // a DNS name of digit labels
  EXPECT_FALSE(is_valid_link_host("01.2.3.4a_"));
}

TEST(LinkEdges, InternationalHostNamesMustBeInXnForm) {
  // GUri used to convert these to xn-- itself; the link must now carry it.
  EXPECT_EQ(error_of("vnc://ab%C3%A9"),
            "not a valid link: Illegal internationalized hostname ‘ab%C3%A9’ in URI");
  EXPECT_EQ(parse_console_link("vnc://xn--ab-cja").link->host, "xn--ab-cja");
}

std::string vv_error(std::string_view file) {
  return parse_vv_file(file).error;
}

TEST(VvEdges, GroupsCommentsAndWhiteSpace) {
  auto r = parse_vv_file(
      "# a comment before the group\n"
      "\n"
      "  [virt-viewer] \t\r\n"
      "   # indented comment\r\n"
      "type = vnc\n"
      "host\t=\tgw.example.com  \n"
      "port=5901\n"
      "[other]\n"
      "port=1\n"
      "[virt-viewer]\n"  // a repeated group is the same group
      "title=second\n"
      "title=LPAR 7\n"  // the last of a repeated key wins
      "title[de]=Konsole\n");
  ASSERT_TRUE(r.link) << r.error;
  EXPECT_EQ(r.link->host, "gw.example.com");
  EXPECT_EQ(r.link->port, 5901);
  EXPECT_EQ(r.link->title, "LPAR 7");
  EXPECT_EQ(vv_error("type=vnc\n[virt-viewer]\n"),
            "not a valid .vv file: Key file does not start with a group");
  EXPECT_EQ(vv_error("[virt-viewer]x\n"),
            "not a valid .vv file: Key file contains line “[virt-viewer]x” which is not a "
            "key-value pair, group, or comment");
  EXPECT_EQ(vv_error("[virt[viewer]\n"), "not a valid .vv file: Invalid group name: virt[viewer");
  EXPECT_EQ(vv_error("[virt-viewer]\n=x\n"),
            "not a valid .vv file: Key file contains line “=x” which is not a key-value pair, "
            "group, or comment");
  EXPECT_EQ(vv_error("[virt-viewer]\nk[=v\n"), "not a valid .vv file: Invalid key name: k[");
  EXPECT_EQ(vv_error("[virt-viewer]\nEncoding=latin1\n"),
            "not a valid .vv file: Key file contains unsupported encoding “latin1”");
  EXPECT_EQ(vv_error("[ virt-viewer]\ntype=vnc\n"), ".vv file has no [virt-viewer] section");
  // A "\r" is only dropped before "\n".
  EXPECT_NE(vv_error("[virt-viewer]\r"), "");
}

TEST(VvEdges, EscapesAndEncoding) {
  auto r = parse_vv_file(
      "[virt-viewer]\ntype=\\svnc\\s\nhost=h\nport=\\t5901\ntitle=a\\\\b\\x\\\n"
      "username=b\\nob\n");
  ASSERT_FALSE(r.link) << "a newline escape makes a control character in the user name";
  r = parse_vv_file("[virt-viewer]\ntype=\\svnc\\s\nhost=h\nport=\\t5901\ntitle=a\\\\b\\x\\\n");
  ASSERT_TRUE(r.link) << r.error;
  EXPECT_EQ(r.link->port, 5901);
  EXPECT_EQ(r.link->title, "a\\b\\x") << "unknown escapes stay, a lone '\\' at the end goes";
  // A value that is not UTF-8 reads as missing.
  EXPECT_EQ(vv_error("[virt-viewer]\ntype=vnc\nhost=\xff\nport=1\n"),
            "invalid or missing host in .vv file");
  auto t = parse_vv_file("[virt-viewer]\ntype=vnc\nhost=h\nport=1\ntitle=\xff\n");
  ASSERT_TRUE(t.link);
  EXPECT_EQ(t.link->title, "");
  // A NUL ends a line's value.
  static const char kFile[] = "[virt-viewer]\ntype=vnc\nhost=h\0junk\nport=1\n";
  auto n = parse_vv_file(std::string(kFile, sizeof kFile - 1));
  ASSERT_TRUE(n.link) << n.error;
  EXPECT_EQ(n.link->host, "h");
}

}  // namespace
}  // namespace vncgate
