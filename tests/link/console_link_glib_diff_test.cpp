// Differential test: the GLib-free link parser against the GLib parser it
// replaced (glib_oracle.cpp), on generated links and .vv files built from
// the pieces where GUri and GKeyFile have rules of their own (percent
// escapes, IPv6 literals, dot segments, ports, query pairs, groups,
// comments, escapes, NUL bytes, CR LF, invalid UTF-8), plus random edits.
// Every input must give the same link, or the same refusal text.
//
// VNCGATE_LINK_DIFF_ITERATIONS raises the number of inputs (default 60000
// of each kind); VNCGATE_LINK_DIFF_SEED picks another random sequence.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "glib_oracle.h"
#include "link/console_link.h"

namespace vncgate {
namespace {

size_t env_number(const char *name, size_t fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string shown(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

// The one intended difference: a percent-encoded non-ASCII host name, which
// GUri converts to its xn-- form and the new parser refuses.
bool is_idn_case(const LinkParse &mine) {
  return !mine.link && mine.error.find("internationalized hostname") != std::string::npos;
}

std::string differs(const LinkParse &mine, const LinkParse &old) {
  if (mine.link.has_value() != old.link.has_value())
    return "accepted by " + std::string(mine.link ? "new" : "old") + " only; errors: new='" +
           mine.error + "' old='" + old.error + "'";
  if (!mine.link)
    return mine.error == old.error ? "" : "error new='" + mine.error + "' old='" + old.error + "'";
  const ConsoleLink &a = *mine.link, &b = *old.link;
  if (a.kind != b.kind || a.host != b.host || a.port != b.port || a.console != b.console ||
      a.token != b.token || a.tls != b.tls || a.title != b.title || a.username != b.username ||
      a.has_password != b.has_password || a.password != b.password || a.view_only != b.view_only ||
      a.security_type != b.security_type || a.delete_file != b.delete_file)
    return "fields differ: new " + a.display_name() + " title='" + shown(a.title) + "' user='" +
           shown(a.username) + "' old " + b.display_name() + " title='" + shown(b.title) +
           "' user='" + shown(b.username) + "'";
  if (a.to_url() != glib_oracle::to_url(b)) return "to_url differs: " + a.to_url();
  if (a.identity() != glib_oracle::identity(b)) return "identity differs: " + a.identity();
  return "";
}

template <size_t N>
const char *pick(std::mt19937 &rng, const char *const (&list)[N]) {
  return list[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

// Mostly one of the first `good` entries (pieces of a valid link), so that
// many generated inputs get past the first check.
template <size_t N>
const char *pick_biased(std::mt19937 &rng, const char *const (&list)[N], size_t good) {
  if (std::uniform_int_distribution<int>(0, 9)(rng) < 7)
    return list[std::uniform_int_distribution<size_t>(0, good - 1)(rng)];
  return pick(rng, list);
}

// Random edits: insert, replace or delete a byte, from an alphabet of the
// characters URI and key-file syntax care about.
void mutate(std::mt19937 &rng, std::string &s) {
  static const char kChars[] = "%:/?#[]@&=.-+~!$'()*,;aAzZ09 \t\r\n\\#s\x01\x7f\xc3\xa9\xff";
  static const std::string alphabet = std::string(kChars, sizeof kChars);  // with the NUL
  int edits = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int i = 0; i < edits; ++i) {
    size_t at = std::uniform_int_distribution<size_t>(0, s.size())(rng);
    char c = alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
    switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
      case 0:
        s.insert(s.begin() + static_cast<long>(at), c);
        break;
      case 1:
        if (at < s.size()) s[at] = c;
        break;
      default:
        if (at < s.size()) s.erase(at, 1);
    }
  }
}

std::string random_link(std::mt19937 &rng) {
  static const char *const schemes[] = {
      "vncgate://", "vnc://", "VNCGATE://", "Vnc://",   "vncgate:", "vnc:/",
      "http://",    "//",     "1vnc://",    "vnc+x://", ""};
  static const char *const users[] = {"",        "",        "bob@",   "",        "bob:pw@",
                                      "b%6Fb@",  "a%3Ab@",  "%2D-x@", "%zz@",    "%ff@",
                                      "a%2500@", "a%2541@", "@",      "a@b@",    "-u@",
                                      "%C3%A9@", "a%00@",   ":pw@",   "a%253Ab@"};
  static const char *const hosts[] = {"gw.example.com",
                                      "GW.Example",
                                      "127.0.0.1",
                                      "[::1]",
                                      "[::ffff:1.2.3.4]",
                                      "5",
                                      "h%41st",
                                      "[fe80::1%25eth0]",
                                      "xn--ab-cja",
                                      "[1:2:3:4:5:6:7:8]",
                                      "[::1%25e%41]",
                                      "0.0.0.0",
                                      "a%2Eb",
                                      "[::1.2.3.4]",
                                      "localhost",
                                      "01.2.3.4",
                                      "256.1.1.1",
                                      "1.2.3",
                                      "1.2.3.4.5",
                                      "5",
                                      "h%41st",
                                      "%31.2.3.4",
                                      "1%2e2.3.4",
                                      "%C3%A9",
                                      "ab%C3%A9",
                                      "xn--ab-cja",
                                      "[::1]",
                                      "[::]",
                                      "[1:2:3:4:5:6:7:8]",
                                      "[1:2:3:4:5:6:7:8:9]",
                                      "[::ffff:1.2.3.4]",
                                      "[1::2::3]",
                                      "[::1%25eth0]",
                                      "[::1%eth0]",
                                      "[::1%25]",
                                      "[fe80::1%25%zz]",
                                      "[fe80::1%25e%41]",
                                      "[::1",
                                      "::1",
                                      "[v1.x]",
                                      "[]",
                                      "",
                                      "-bad",
                                      "a_b",
                                      "a..b",
                                      "a.-b",
                                      ".a",
                                      "a.",
                                      "h%2Dx",
                                      "[::1]x",
                                      "[1.2.3.4]",
                                      "[::1.2.3.4]",
                                      "[0:0:0:0:0:0:1.2.3.4]",
                                      "[1:2:3:4:5:6:1.2.3.4]",
                                      "[1:2:3:4:5:6:7:1.2.3.4]",
                                      "localhost",
                                      "[12345::1]",
                                      "[::1::]",
                                      "[1:2:3:4:5:6:7::]",
                                      "[::1:2:3:4:5:6:7]",
                                      "a%2Eb",
                                      "h%00",
                                      "%5B::1%5D",
                                      "0.0.0.0",
                                      "1.2.3.04"};
  static const char *const ports[] = {"",
                                      ":5901",
                                      ":",
                                      ":0005",
                                      ":0",
                                      ":1",
                                      ":5901",
                                      ":65535",
                                      ":65536",
                                      ":70000",
                                      ":99999999999999999999",
                                      ":+1",
                                      ":-1",
                                      ":12ab",
                                      ":1:2",
                                      ":0005"};
  static const char *const paths[] = {
      "/console/a",
      "/console/lpar-7",
      "",
      "/",
      "/./console/a",
      "/console/",
      "/console/../../etc",
      "/console/%2e%2e",
      "/console/a/..",
      "/./console/a",
      "/console/./a",
      "/a/../console/b",
      "/console/%41",
      "/console/a%2Fb",
      "/console/-rf",
      "/console/.x",
      "/etc/passwd",
      "//console/a",
      "/console/a%ff",
      "/console/a%zz",
      "/console/a%C3%A9",
      "/console/a%00",
      "/console/a;b",
      "/Console/a",
      "/console/a/",
      "/console/a/.",
      "/..",
      "/.",
      "/console/..a",
      "/console/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "/%2e/x",
      "/console/%2E%2E/console/b",
      "/console/a/%2e%2e/b"};
  static const char *const queries[] = {"",
                                        "?token=abcdefghijklmnop",
                                        "?title=LPAR%207",
                                        "?tls=x509&token=abcdefghijklmnop-_AZ09",
                                        "?title=%C3%A9",
                                        "?ConnectionName=Lab%20box&SecurityType=%202",
                                        "?ViewOnly=1&VncUsername=b",
                                        "?title=%7e%41%2d",
                                        "?",
                                        "?token=short",
                                        "?tls=x509",
                                        "?tls=anon&tls=none",
                                        "?title=LPAR%207",
                                        "?title=%0Aevil",
                                        "?title=%C3%A9",
                                        "?title=%ff",
                                        "?title=%00",
                                        "?title=a%26b%3Dc",
                                        "?title=a+b",
                                        "?exec=/bin/sh",
                                        "?a",
                                        "?a=1&&b=2",
                                        "?&",
                                        "?a=1&",
                                        "?=x",
                                        "?%zz=1",
                                        "?t%69tle=x",
                                        "?ConnectionName=Lab%20box",
                                        "?SecurityType=2",
                                        "?SecurityType=%202",
                                        "?SecurityType=+3",
                                        "?SecurityType=999",
                                        "?SecurityType=0x10",
                                        "?ViewOnly=true",
                                        "?ViewOnly=maybe",
                                        "?VncUsername=bob",
                                        "?VncUsername=-x",
                                        "?VncPassword=x",
                                        "?Unknown=y",
                                        "?title=x?y",
                                        "?title=%",
                                        "?token=abcdefghijklmnop%3B",
                                        "?title=%7e%41%2d",
                                        "?tls=x509&token=abcdefghijklmnop-_AZ09&title=ok",
                                        "?title=%E2%82%AC",
                                        "?title=%ED%A0%80",
                                        "?title=a%3D&title=b",
                                        "?ViewOnly=1&VncUsername=%C3%A9"};
  static const char *const fragments[] = {"", "#", "#x", "#%zz", "#%ff", "#a#b"};
  std::string s = std::string(pick_biased(rng, schemes, 3)) + pick_biased(rng, users, 3) +
                  pick_biased(rng, hosts, 15) + pick_biased(rng, ports, 4) +
                  pick_biased(rng, paths, 5) + pick_biased(rng, queries, 8) +
                  pick_biased(rng, fragments, 1);
  if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) mutate(rng, s);
  return s;
}

std::string random_vv(std::mt19937 &rng) {
  static const char *const lines[] = {"[virt-viewer]",
                                      "[virt-viewer]",
                                      "[virt-viewer]  ",
                                      "[virt-viewer]\t",
                                      "[virt-viewer]x",
                                      "[ virt-viewer]",
                                      "  [virt-viewer]",
                                      "[other]",
                                      "[a[b]",
                                      "[a]b]",
                                      "[]",
                                      "[virt\x01viewer]",
                                      "[virt-viewer",
                                      "type=vnc",
                                      "type=vnc",
                                      "type = vnc",
                                      "type=spice",
                                      "type=\\svnc",
                                      "type=vnc\\",
                                      "type=v\\nc",
                                      "host=gw.example.com",
                                      "host=10.1.2.3",
                                      "host=-x",
                                      "host=\xff",
                                      "host=::1",
                                      "host=h\\x",
                                      "host=GW.example",
                                      "port=5901",
                                      "port= 5901 ",
                                      "port=+5901",
                                      "port=99999",
                                      "port=0",
                                      "port=59\\s01",
                                      "port=\\t5901",
                                      "port=5901\\s",
                                      "title=LPAR 7",
                                      "title=\\n",
                                      "title=a\\\\b",
                                      "title=\xc3\xa9",
                                      "title=\xff",
                                      "title=a\\qb",
                                      "delete-this-file=1",
                                      "delete-this-file=yes",
                                      "delete-this-file=2",
                                      "username=bob",
                                      "username=-b",
                                      "password=x",
                                      "password=",
                                      "vncgate-console=lpar7",
                                      "vncgate-console=../x",
                                      "vncgate-token=abcdefghijklmnop",
                                      "vncgate-token=short",
                                      "vncgate-tls=x509",
                                      "vncgate-tls=bad",
                                      "Encoding=UTF-8",
                                      "Encoding=utf-8",
                                      "Encoding=latin1",
                                      "Encoding=UTF-8 ",
                                      "# comment",
                                      "  # indented comment",
                                      "",
                                      "   ",
                                      "\t",
                                      "=x",
                                      " =x",
                                      "k =v",
                                      "k\t=v",
                                      "k[de]=v",
                                      "k[\xc3\xa9]=v",
                                      "k[d e]=v",
                                      "k[=v",
                                      "k]=v",
                                      "a b=c",
                                      "host\v=x",
                                      "noequals",
                                      "\x01",
                                      "\xef\xbb\xbf[virt-viewer]",
                                      "type=vnc\r",
                                      "\r",
                                      "host[de]=x",
                                      "k[]=v",
                                      "k[a]b=v",
                                      "title= \\s x \\s ",
                                      "host=h\\"};
  static const std::string nul_lines[] = {
      std::string("ho\0st=x", 7), std::string("host=a\0b", 8), std::string("\0junk", 5),
      std::string("[virt-viewer]\0]junk", 19), std::string("[g]\0", 4)};
  static const char *const endings[] = {"\n", "\n", "\n", "\r\n", "\r\r\n"};
  std::string s;
  if (std::uniform_int_distribution<int>(0, 1)(rng))
    s = "[virt-viewer]\ntype=vnc\nhost=gw.example.com\nport=5901\n";
  int n = std::uniform_int_distribution<int>(1, 10)(rng);
  for (int i = 0; i < n; ++i) {
    if (std::uniform_int_distribution<int>(0, 30)(rng) == 0)
      s += nul_lines[std::uniform_int_distribution<size_t>(0, 4)(rng)];
    else
      s += pick(rng, lines);
    if (i + 1 < n || std::uniform_int_distribution<int>(0, 1)(rng)) s += pick(rng, endings);
  }
  if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) mutate(rng, s);
  return s;
}

TEST(LinkParserDifferential, LinksParseAsWithGUri) {
  std::mt19937 rng(static_cast<unsigned>(env_number("VNCGATE_LINK_DIFF_SEED", 7869)));
  size_t n = env_number("VNCGATE_LINK_DIFF_ITERATIONS", 60000), accepted = 0, idn = 0, failures = 0;
  for (size_t i = 0; i < n && failures < 20; ++i) {
    std::string link = random_link(rng);
    LinkParse mine = parse_console_link(link), old = glib_oracle::parse_console_link(link);
    if (is_idn_case(mine)) {
      ++idn;
      continue;
    }
    if (std::string d = differs(mine, old); !d.empty()) {
      ADD_FAILURE() << "link '" << shown(link) << "': " << d;
      ++failures;
    }
    accepted += mine.link.has_value();
  }
  // The generator must reach both outcomes often, or it tests nothing.
  EXPECT_GT(accepted, n / 50);
  EXPECT_LT(accepted, n - n / 50);
  std::printf("%zu links, %zu accepted, %zu IDN hosts skipped\n", n, accepted, idn);
}

TEST(LinkParserDifferential, VvFilesParseAsWithGKeyFile) {
  std::mt19937 rng(static_cast<unsigned>(env_number("VNCGATE_LINK_DIFF_SEED", 7869)));
  size_t n = env_number("VNCGATE_LINK_DIFF_ITERATIONS", 60000), accepted = 0, failures = 0;
  for (size_t i = 0; i < n && failures < 20; ++i) {
    std::string file = random_vv(rng);
    std::string d = differs(parse_vv_file(file), glib_oracle::parse_vv_file(file));
    if (!d.empty()) {
      ADD_FAILURE() << "vv file '" << shown(file) << "': " << d;
      ++failures;
    }
    accepted += parse_vv_file(file).link.has_value();
  }
  EXPECT_GT(accepted, n / 20);
  std::printf("%zu .vv files, %zu accepted\n", n, accepted);
}

TEST(LinkParserDifferential, HostAndTokenChecksAgree) {
  std::mt19937 rng(static_cast<unsigned>(env_number("VNCGATE_LINK_DIFF_SEED", 7869)));
  static const char *const seeds[] = {"::1",
                                      "1.2.3.4",
                                      "a-b.example",
                                      "::ffff:1.2.3.4",
                                      "abcdefghijklmnop",
                                      "1::2:3:4:5:6:7",
                                      "fe80::1%eth0",
                                      "x"};
  for (int i = 0; i < 20000; ++i) {
    std::string s = pick(rng, seeds);
    mutate(rng, s);
    EXPECT_EQ(is_valid_link_host(s), glib_oracle::is_valid_link_host(s)) << shown(s);
    EXPECT_EQ(is_valid_token(s), glib_oracle::is_valid_token(s)) << shown(s);
  }
}

}  // namespace
}  // namespace vncgate
