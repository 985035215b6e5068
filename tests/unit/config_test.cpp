#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "test_util.h"

namespace vncgate {
namespace {

using test::Contains;

constexpr const char *kOrigin = "/etc/vncgate/vncgated.conf";

constexpr const char *kFullExample = R"(# Every key vncgated knows.
[gateway]
listen = 127.0.0.1:5901, [::1]:5901; *:5999
allowed-clients = 127.0.0.0/8; ::1, 10.0.0.0/8
handshake-timeout = 20
idle-close = 0
mkvterm = /opt/hsc/bin/mkvterm
rmvterm = /opt/hsc/bin/rmvterm
mkvterm-timeout = 45
max-sessions = 50

[sasl]
app-name = vncgate-test
min-ssf = 0
auth-failure-delay = 0.25
realm = EXAMPLE.COM

[console:lpar1]
lpar-id = 3
allowed-users = alice, bob@EXAMPLE.COM
force = yes

[console:static.vm-2]
backend = vnc.example.com:5900
backend-password-file = /etc/vncgate/static.pass
port = 5910
force = false
)";

TEST(ParseConfig, FullExample) {
  Config c;
  std::string error;
  ASSERT_TRUE(parse_config(kFullExample, kOrigin, c, error)) << error;
  EXPECT_EQ(c.path, kOrigin);
  ASSERT_EQ(c.listen.size(), 3u);
  EXPECT_EQ(c.listen[0], (HostPort{"127.0.0.1", 5901}));
  EXPECT_EQ(c.listen[1], (HostPort{"::1", 5901}));
  EXPECT_EQ(c.listen[2], (HostPort{"", 5999}));
  EXPECT_EQ(c.allowed_clients_text, (std::vector<std::string>{"127.0.0.0/8", "::1", "10.0.0.0/8"}));
  EXPECT_EQ(c.allowed_clients.size(), 3u);
  EXPECT_TRUE(c.allowed_clients.allows("10.1.1.1"));
  EXPECT_FALSE(c.allowed_clients.allows("192.0.2.1"));
  EXPECT_EQ(c.handshake_timeout, 20u);
  EXPECT_EQ(c.idle_close, 0u);
  EXPECT_EQ(c.mkvterm, "/opt/hsc/bin/mkvterm");
  EXPECT_EQ(c.rmvterm, "/opt/hsc/bin/rmvterm");
  EXPECT_EQ(c.mkvterm_timeout, 45u);
  EXPECT_EQ(c.max_sessions, 50u);
  EXPECT_EQ(c.sasl_app_name, "vncgate-test");
  EXPECT_EQ(c.min_ssf, 0u);
  EXPECT_DOUBLE_EQ(c.auth_failure_delay, 0.25);
  EXPECT_EQ(c.realm, "EXAMPLE.COM");

  ASSERT_EQ(c.consoles.size(), 2u);
  const ConsoleConfig &l = c.consoles.at("lpar1");
  EXPECT_EQ(l.name, "lpar1");
  EXPECT_EQ(l.lpar_id, 3);
  EXPECT_FALSE(l.backend.has_value());
  EXPECT_FALSE(l.port.has_value());
  EXPECT_EQ(l.allowed_users, (std::vector<std::string>{"alice", "bob@EXAMPLE.COM"}));
  EXPECT_TRUE(l.force);

  const ConsoleConfig &s = c.consoles.at("static.vm-2");
  EXPECT_FALSE(s.lpar_id.has_value());
  EXPECT_EQ(s.backend, (HostPort{"vnc.example.com", 5900}));
  EXPECT_EQ(s.backend_password_file, "/etc/vncgate/static.pass");
  EXPECT_EQ(s.port, 5910);
  EXPECT_FALSE(s.force);
  EXPECT_TRUE(s.allowed_users.empty());
}

TEST(ParseConfig, ProxyProtocolFrom) {
  Config c;
  std::string error;
  ASSERT_TRUE(parse_config("[gateway]\nproxy-protocol-from=10.0.0.5;fd00::/8\n", kOrigin, c, error))
      << error;
  EXPECT_EQ(c.proxy_protocol_from_text, (std::vector<std::string>{"10.0.0.5", "fd00::/8"}));
  EXPECT_TRUE(c.proxy_protocol_from.allows("10.0.0.5"));
  EXPECT_FALSE(c.proxy_protocol_from.allows("10.0.0.6"));
  EXPECT_TRUE(c.proxy_protocol_from.allows("fd00::1"));
}

TEST(ParseConfig, EmptyFileGivesDefaults) {
  Config c;
  std::string error;
  ASSERT_TRUE(parse_config("", kOrigin, c, error)) << error;
  EXPECT_EQ(c.listen, (std::vector<HostPort>{{"127.0.0.1", 5901}, {"::1", 5901}}));
  EXPECT_TRUE(c.allowed_clients.empty());
  EXPECT_TRUE(c.proxy_protocol_from.empty());  // nobody's PROXY header is read
  EXPECT_EQ(c.handshake_timeout, 30u);
  EXPECT_EQ(c.backend_timeout, 10u);
  EXPECT_EQ(c.max_session_time, 0u);
  EXPECT_EQ(c.min_ssf, 56u);
  EXPECT_EQ(c.sasl_app_name, "vncgate");
  EXPECT_TRUE(c.realm.empty());
  EXPECT_TRUE(c.consoles.empty());
}

TEST(ParseConfig, ConsolePortsAloneAreEnoughListeners) {
  Config c;
  std::string error;
  ASSERT_TRUE(
      parse_config("[gateway]\nlisten=\n[console:a]\nlpar-id=1\nport=5902\n", kOrigin, c, error))
      << error;
  EXPECT_TRUE(c.listen.empty());
}

TEST(ParseConfig, NulByteRefused) {
  using namespace std::string_literals;
  Config c;
  std::string error;
  EXPECT_FALSE(parse_config("[gateway]\nallowed-clients=10.0.0.0/8\0\n"s, kOrigin, c, error));
  EXPECT_TRUE(Contains(error, kOrigin));
}

TEST(ParseConfig, FailureLeavesOutputUntouched) {
  Config c;
  c.max_sessions = 7;
  std::string error;
  ASSERT_FALSE(parse_config("[gateway]\nmax-sessions=0\n", kOrigin, c, error));
  EXPECT_EQ(c.max_sessions, 7u);
}

TEST(ParseConfig, TlsIdentity) {
  Config c;
  std::string error;
  ASSERT_TRUE(parse_config("[tls]\n", kOrigin, c, error)) << error;
  EXPECT_EQ(c.tls.identity, CertIdentity::Cn);
  for (auto [text, want] :
       {std::pair{"cn", CertIdentity::Cn}, std::pair{"san-email", CertIdentity::SanEmail},
        std::pair{"san-upn", CertIdentity::SanUpn}}) {
    ASSERT_TRUE(parse_config(std::string("[tls]\nidentity=") + text + "\n", kOrigin, c, error))
        << error;
    EXPECT_EQ(c.tls.identity, want) << text;
  }
}

TEST(ParseConfig, PlainSubtypesInsideTls) {
  Config c;
  std::string error;
  ASSERT_TRUE(
      parse_config("[tls]\nsubtypes=tls-plain, tls-sasl\n[console:a]\nlpar-id=1\n"
                   "subtypes=tls-plain\n",
                   kOrigin, c, error))
      << error;
  EXPECT_EQ(c.tls_subtypes, (std::vector<uint32_t>{259, 264}));
  EXPECT_EQ(c.subtypes_for("a"), std::vector<uint32_t>{259});
}

struct ErrorCase {
  const char *text;
  std::vector<const char *> mentions;  // besides the file name
};

// Shown in test names and gtest's XML report: keep it printable ASCII.
void PrintTo(const ErrorCase &c, std::ostream *os) {
  for (const char *p = c.text; *p; ++p) {
    auto b = static_cast<unsigned char>(*p);
    if (b == '\n') {
      *os << "\\n";
    } else if (b < 0x20 || b >= 0x7f) {
      *os << "\\x"
          << "0123456789abcdef"[b >> 4] << "0123456789abcdef"[b & 15];
    } else {
      *os << *p;
    }
  }
}

class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, RefusedNamingFileSectionAndKey) {
  Config c;
  std::string error;
  EXPECT_FALSE(parse_config(GetParam().text, kOrigin, c, error));
  EXPECT_TRUE(error.starts_with(std::string(kOrigin) + ": ")) << error;
  for (const char *m : GetParam().mentions) EXPECT_TRUE(Contains(error, m));
}

const ErrorCase kErrorCases[] = {
    // Syntax and structure.
    {"this is not a key file\n", {}},
    {"[gatewy]\n", {"[gatewy]", "unknown section"}},
    {"[Gateway]\n", {"[Gateway]", "unknown section"}},
    {"[console]\nlpar-id=1\n", {"[console]", "unknown section"}},
    {"[gateway]\nlisen=127.0.0.1:1\n", {"[gateway] lisen", "unknown key"}},
    {"[gateway]\nlisten[de]=127.0.0.1:1\n", {"[gateway] listen[de]", "unknown key"}},
    {"[sasl]\nmechanisms=PLAIN\n", {"[sasl] mechanisms", "unknown key"}},
    {"[console:a]\nlpar-id=1\nlpar=2\n", {"[console:a] lpar", "unknown key"}},
    // Numbers.
    {"[gateway]\nhandshake-timeout=abc\n", {"[gateway] handshake-timeout", "'abc'"}},
    {"[gateway]\nhandshake-timeout=0\n", {"[gateway] handshake-timeout", "1 to 3600"}},
    {"[gateway]\nhandshake-timeout=3601\n", {"[gateway] handshake-timeout"}},
    {"[gateway]\nhandshake-timeout=-5\n", {"[gateway] handshake-timeout", "'-5'"}},
    {"[gateway]\nhandshake-timeout=\n", {"[gateway] handshake-timeout"}},
    {"[gateway]\nhandshake-timeout=12s\n", {"[gateway] handshake-timeout", "'12s'"}},
    {"[gateway]\nhandshake-timeout=0x10\n", {"[gateway] handshake-timeout"}},
    {"[gateway]\nhandshake-timeout=99999999999999999999999\n", {"[gateway] handshake-timeout"}},
    {"[gateway]\nidle-close=604801\n", {"[gateway] idle-close"}},
    {"[gateway]\nmkvterm-timeout=601\n", {"[gateway] mkvterm-timeout"}},
    {"[gateway]\nbackend-timeout=0\n", {"[gateway] backend-timeout"}},
    {"[gateway]\nbackend-timeout=601\n", {"[gateway] backend-timeout"}},
    {"[gateway]\nmax-session-time=2592001\n", {"[gateway] max-session-time"}},
    {"[gateway]\nmax-session-time=-1\n", {"[gateway] max-session-time"}},
    {"[gateway]\nmax-sessions=0\n", {"[gateway] max-sessions"}},
    {"[sasl]\nmin-ssf=100001\n", {"[sasl] min-ssf"}},
    {"[sasl]\nauth-failure-delay=11\n", {"[sasl] auth-failure-delay"}},
    {"[sasl]\nauth-failure-delay=-0.5\n", {"[sasl] auth-failure-delay"}},
    {"[sasl]\nauth-failure-delay=nan\n", {"[sasl] auth-failure-delay"}},
    {"[sasl]\nauth-failure-delay=1s\n", {"[sasl] auth-failure-delay"}},
    {"[console:a]\nlpar-id=x\n", {"[console:a] lpar-id"}},
    {"[console:a]\nlpar-id=-1\n", {"[console:a] lpar-id"}},
    {"[console:a]\nlpar-id=2147483648\n", {"[console:a] lpar-id"}},
    {"[console:a]\nlpar-id=1\nport=0\n", {"[console:a] port"}},
    {"[console:a]\nlpar-id=1\nport=65536\n", {"[console:a] port"}},
    // Backends.
    {"[console:a]\nlpar-id=1\nbackend=127.0.0.1:5900\n", {"[console:a]", "exactly one"}},
    {"[console:a]\nforce=true\n", {"[console:a]", "exactly one"}},
    {"[console:a]\nbackend=*:5900\n", {"[console:a] backend", "'*'"}},
    {"[console:a]\nbackend=bad_host:5900\n", {"[console:a] backend", "bad_host"}},
    {"[console:a]\nbackend=-x:5900\n", {"[console:a] backend"}},
    {"[console:a]\nbackend=vnc.example.com\n", {"[console:a] backend"}},
    // Listeners and clients.
    {"[gateway]\nlisten=localhost:5901\n", {"[gateway] listen", "localhost"}},
    {"[gateway]\nlisten=127.0.0.1\n", {"[gateway] listen"}},
    {"[gateway]\nlisten=::1:5901\n", {"[gateway] listen", "[ADDR]:PORT"}},
    {"[gateway]\nlisten=[::1]5901\n", {"[gateway] listen"}},
    {"[gateway]\nlisten=[127.0.0.1]:5901\n", {"[gateway] listen", "IPv6"}},
    {"[gateway]\nlisten=127.0.0.1:0\n", {"[gateway] listen", "port"}},
    {"[gateway]\nlisten=127.0.0.1:5901, *:x\n", {"[gateway] listen", "'x'"}},
    {"[gateway]\nlisten=\n", {"nothing to listen on"}},
    {"[gateway]\nallowed-clients=10.0.0.0/33\n", {"[gateway] allowed-clients", "10.0.0.0/33"}},
    {"[gateway]\nproxy-protocol-from=10.0.0.5;haproxy\n",
     {"[gateway] proxy-protocol-from", "haproxy"}},
    // Console names.
    {"[console:.hidden]\nlpar-id=1\n", {"[console:.hidden]", "console name"}},
    {"[console:]\nlpar-id=1\n", {"[console:]", "console name"}},
    {"[console:a/b]\nlpar-id=1\n", {"[console:a/b]", "console name"}},
    {"[console:a b]\nlpar-id=1\n", {"[console:a b]", "console name"}},
    // Ports used twice.
    {"[console:a]\nlpar-id=1\nport=5901\n", {"[console:a] port", "5901", "already used"}},
    {"[gateway]\nlisten=*:6000\n[console:a]\nlpar-id=1\nport=6001\n"
     "[console:b]\nlpar-id=2\nport=6001\n",
     {"[console:b] port", "6001", "already used"}},
    // Booleans, paths, names.
    {"[console:a]\nlpar-id=1\nforce=maybe\n", {"[console:a] force", "'maybe'"}},
    {"[console:a]\nlpar-id=1\nforce=\n", {"[console:a] force"}},
    {"[gateway]\nmkvterm=bin/mkvterm\n", {"[gateway] mkvterm", "absolute path"}},
    {"[gateway]\nrmvterm=rmvterm\n", {"[gateway] rmvterm", "absolute path"}},
    {"[gateway]\nmkvterm=\n", {"[gateway] mkvterm", "absolute path"}},
    {"[console:a]\nbackend=h:1\nbackend-password-file=pw\n",
     {"[console:a] backend-password-file", "absolute path"}},
    {"[sasl]\napp-name=../x\n", {"[sasl] app-name"}},
    {"[sasl]\napp-name=.hidden\n", {"[sasl] app-name"}},
    {"[sasl]\napp-name=\n", {"[sasl] app-name"}},
    {"[sasl]\nrealm=EXAMPLE COM\n", {"[sasl] realm"}},
    {"[sasl]\nrealm=user@EXAMPLE\n", {"[sasl] realm"}},
    {"[tls]\nidentity=serial\n", {"[tls] identity", "'serial'", "san-upn"}},
    {"[tls]\nidentity=\n", {"[tls] identity"}},
    // VeNCrypt Plain (256) has no TLS of its own: only the web front offers it.
    {"[tls]\nsubtypes=tls-plain, plain\n",
     {"[tls] subtypes", "'plain'", "without TLS", "x509-plain"}},
    {"[console:a]\nlpar-id=1\nsubtypes=plain\n", {"[console:a] subtypes", "'plain'"}},
    {"[tls]\nsubtypes=x509-plain\n", {"[tls] subtypes", "x509-plain needs [tls] cert and key"}},
    // Not UTF-8: GKeyFile would read these values as empty lists (everyone).
    {"[gateway]\nallowed-clients=10.0.0.0/8\xff\n", {"line 2", "UTF-8"}},
    {"[console:a]\nlpar-id=1\nallowed-users=al\xff"
     "ice\n",
     {"line 3", "UTF-8"}},
};

INSTANTIATE_TEST_SUITE_P(Cases, ConfigErrors, ::testing::ValuesIn(kErrorCases));

TEST(ParseHostPort, Ipv4) {
  std::string error;
  auto hp = parse_host_port("192.0.2.1:5901", false, error);
  ASSERT_TRUE(hp) << error;
  EXPECT_EQ(*hp, (HostPort{"192.0.2.1", 5901}));
  EXPECT_EQ(hp->to_string(), "192.0.2.1:5901");
  EXPECT_EQ(parse_host_port("0.0.0.0:1", false, error)->port, 1);
  EXPECT_EQ(parse_host_port("0.0.0.0:65535", false, error)->port, 65535);
}

TEST(ParseHostPort, Ipv6InBrackets) {
  std::string error;
  auto hp = parse_host_port("[2001:db8::5]:5901", false, error);
  ASSERT_TRUE(hp) << error;
  EXPECT_EQ(*hp, (HostPort{"2001:db8::5", 5901}));
  EXPECT_EQ(hp->to_string(), "[2001:db8::5]:5901");
  EXPECT_TRUE(parse_host_port("[::]:5901", false, error));
  EXPECT_TRUE(parse_host_port("[::ffff:127.0.0.1]:5901", true, error));
}

TEST(ParseHostPort, Wildcard) {
  std::string error;
  auto hp = parse_host_port("*:5901", false, error);
  ASSERT_TRUE(hp) << error;
  EXPECT_EQ(hp->host, "");
  EXPECT_EQ(hp->to_string(), "*:5901");
  EXPECT_FALSE(parse_host_port("*:5901", true, error));
  EXPECT_TRUE(Contains(error, "'*'"));
}

TEST(ParseHostPort, NamesOnlyWhenAllowed) {
  std::string error;
  auto hp = parse_host_port("vnc-1.example.com:5900", true, error);
  ASSERT_TRUE(hp) << error;
  EXPECT_EQ(*hp, (HostPort{"vnc-1.example.com", 5900}));
  EXPECT_TRUE(parse_host_port("localhost:5900", true, error));
  EXPECT_FALSE(parse_host_port("localhost:5900", false, error));
  EXPECT_TRUE(Contains(error, "'localhost'"));
  EXPECT_FALSE(parse_host_port("[vnc.example.com]:5900", true, error));
}

TEST(ParseHostPort, Refused) {
  for (const char *bad :
       {"",           ":5900",       "5900",          "host",
        "host:",      "1.2.3.4:0",   "1.2.3.4:65536", "1.2.3.4:+1",
        "1.2.3.4:-1", "1.2.3.4:1x",  "1.2.3.4: 1",    "[::1]",
        "[::1]:",     "[::1]x5900",  "[::1",          "[127.0.0.1]:5900",
        "[]:1",       "::1:5900",    "-bad:1",        "bad_name:1",
        "a b:1",      "h\xc3\xa9:1", "*:0",           "1.2.3.4:99999999999999999999"}) {
    for (bool names : {false, true}) {
      std::string error;
      EXPECT_FALSE(parse_host_port(bad, names, error)) << bad;
      EXPECT_FALSE(error.empty()) << bad;
    }
  }
}

TEST(LoadConfig, MissingFileNamed) {
  Config c;
  std::string error;
  EXPECT_FALSE(load_config("/nonexistent/vncgate/test.conf", c, error));
  EXPECT_TRUE(Contains(error, "/nonexistent/vncgate/test.conf"));
}

class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    GError *err = nullptr;
    gchar *name = nullptr;
    int fd = g_file_open_tmp("vncgate-unit-XXXXXX", &name, &err);
    EXPECT_GE(fd, 0);
    if (fd >= 0) close(fd);
    if (err) g_error_free(err);
    path_ = name ? name : "";
    g_free(name);
    EXPECT_TRUE(g_file_set_contents(path_.c_str(), content.data(),
                                    static_cast<gssize>(content.size()), nullptr));
  }
  ~TempFile() { g_unlink(path_.c_str()); }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadConfig, ReadsFileAndNamesItInErrors) {
  TempFile good("[console:a]\nlpar-id=1\n");
  Config c;
  std::string error;
  ASSERT_TRUE(load_config(good.path(), c, error)) << error;
  EXPECT_EQ(c.path, good.path());
  EXPECT_EQ(c.consoles.size(), 1u);

  TempFile bad("[console:a]\nlpar-id=one\n");
  EXPECT_FALSE(load_config(bad.path(), c, error));
  EXPECT_TRUE(error.starts_with(bad.path() + ": [console:a] lpar-id")) << error;
}

TEST(PasswordFile, FirstLineOnly) {
  TempFile f("s3cret\r\nsecond line\n");
  std::string pw, error;
  ASSERT_TRUE(read_password_file(f.path(), pw, error)) << error;
  EXPECT_EQ(pw, "s3cret");

  TempFile empty("\n");
  EXPECT_FALSE(read_password_file(empty.path(), pw, error));
  EXPECT_TRUE(Contains(error, empty.path()));
  EXPECT_FALSE(read_password_file("/nonexistent/pw", pw, error));
}

}  // namespace
}  // namespace vncgate

namespace vncgate {
namespace {

TEST(ParseConfig, AdmissionKeys) {
  Config d;
  std::string error;
  ASSERT_TRUE(parse_config("[gateway]\nlisten=127.0.0.1:5901\n", kOrigin, d, error)) << error;
  EXPECT_EQ(d.max_handshakes, 256u);
  EXPECT_EQ(d.max_handshakes_per_source, 16u);
  EXPECT_EQ(d.handshake_buffer_mib, 32u);
  EXPECT_EQ(d.listen_backlog, 4096u);
  EXPECT_EQ(d.sasl_max_field, 65536u);

  Config c;
  ASSERT_TRUE(
      parse_config("[gateway]\nmax-handshakes=100\nmax-handshakes-per-source=4\n"
                   "handshake-buffer-mib=8\nlisten-backlog=10\n[sasl]\nmax-field=1024\n",
                   kOrigin, c, error))
      << error;
  EXPECT_EQ(c.max_handshakes, 100u);
  EXPECT_EQ(c.max_handshakes_per_source, 4u);
  EXPECT_EQ(c.handshake_buffer_mib, 8u);
  EXPECT_EQ(c.listen_backlog, 10u);
  EXPECT_EQ(c.sasl_max_field, 1024u);

  for (const char *bad :
       {"[gateway]\nmax-handshakes=0\n", "[gateway]\nmax-handshakes-per-source=0\n",
        "[gateway]\nhandshake-buffer-mib=0\n", "[gateway]\nlisten-backlog=0\n",
        "[gateway]\nlisten-backlog=65536\n", "[sasl]\nmax-field=1023\n",
        "[sasl]\nmax-field=1048577\n", "[sasl]\nmax-field=64k\n"}) {
    Config x;
    EXPECT_FALSE(parse_config(bad, kOrigin, x, error)) << bad;
  }
}

TEST(ParseConfig, SaslWorkers) {
  std::string error;
  Config d;
  ASSERT_TRUE(parse_config("[gateway]\nlisten=127.0.0.1:5901\n", kOrigin, d, error)) << error;
  EXPECT_EQ(d.sasl_workers, std::max(2u, g_get_num_processors()));
  for (unsigned n : {0u, 1u, 8u, 256u}) {
    Config c;
    std::string text = "[sasl]\nworkers=" + std::to_string(n) + "\n";
    ASSERT_TRUE(parse_config(text, kOrigin, c, error)) << error;
    EXPECT_EQ(c.sasl_workers, n);
  }
  for (const char *bad :
       {"[sasl]\nworkers=257\n", "[sasl]\nworkers=-1\n", "[sasl]\nworkers=two\n"}) {
    Config x;
    EXPECT_FALSE(parse_config(bad, kOrigin, x, error)) << bad;
    EXPECT_NE(error.find("[sasl] workers"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace vncgate
