// AdmissionControl: the pure counting behind per-source and total handshake
// places, the pre-authentication buffer budget and rate-limited refusal logs.
#include "admission.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace vncgate {
namespace {

using Refusal = AdmissionControl::Refusal;

std::string src(std::initializer_list<uint8_t> bytes) {
  std::vector<uint8_t> v(bytes);
  return admission_source(v.data(), v.size());
}

TEST(AdmissionSource, Ipv4IsTheAddress) {
  EXPECT_EQ(src({127, 0, 0, 1}), "127.0.0.1");
  EXPECT_EQ(src({192, 0, 2, 255}), "192.0.2.255");
}

TEST(AdmissionSource, Ipv6IsTheSlash64) {
  EXPECT_EQ(src({0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8}), "2001:db8:1:2::/64");
  EXPECT_EQ(src({0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 9, 9, 9, 9, 9, 9, 9, 9}), "2001:db8:1:2::/64");
  EXPECT_NE(src({0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8}), "2001:db8:1:2::/64");
  EXPECT_EQ(src({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), "0:0:0:0::/64");
}

TEST(AdmissionSource, MappedIpv4CountsAsIpv4) {
  // A dual-stack listener sees 127.0.0.2 as ::ffff:127.0.0.2: it must not
  // share the ::ffff:0:0/64 place with every other IPv4 client.
  EXPECT_EQ(src({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 2}), "127.0.0.2");
  EXPECT_EQ(src({1, 2, 3}), "?");
}

TEST(Admission, PerSourceLimit) {
  AdmissionControl ac({2, 100, 1 << 20});
  Refusal why;
  auto a = ac.admit("a", why);
  auto b = ac.admit("a", why);
  EXPECT_TRUE(a.held());
  EXPECT_TRUE(b.held());
  auto c = ac.admit("a", why);
  EXPECT_FALSE(c.held());
  EXPECT_EQ(why, Refusal::PerSource);
  // Another source is untouched by the first one's places.
  auto d = ac.admit("b", why);
  EXPECT_TRUE(d.held());
  EXPECT_EQ(ac.handshakes(), 3u);
  EXPECT_EQ(ac.handshakes_from("a"), 2u);
  a.release();
  EXPECT_EQ(ac.handshakes_from("a"), 1u);
  auto e = ac.admit("a", why);
  EXPECT_TRUE(e.held());
}

TEST(Admission, TotalLimitAndRaii) {
  AdmissionControl ac({10, 2, 1 << 20});
  Refusal why;
  {
    auto a = ac.admit("a", why);
    auto b = ac.admit("b", why);
    auto c = ac.admit("c", why);
    EXPECT_FALSE(c.held());
    EXPECT_EQ(why, Refusal::Total);
    EXPECT_EQ(ac.handshakes_from("c"), 0u);
  }
  EXPECT_EQ(ac.handshakes(), 0u);
  EXPECT_EQ(ac.handshakes_from("a"), 0u);
}

TEST(Admission, FullPlacesEvictTheBusiestSourcesOldest) {
  AdmissionControl ac({10, 4, 1 << 20});
  Refusal why;
  std::map<std::string, AdmissionControl::Ticket> held;
  std::vector<std::string> evicted;
  auto admit = [&](const std::string &name, const std::string &source) {
    auto t = ac.admit(source, why, [&, name] {
      evicted.push_back(name);
      held.erase(name);  // ending the handshake releases its ticket
    });
    if (t.held()) held.emplace(name, std::move(t));
    return why;
  };
  EXPECT_EQ(admit("f1", "flood"), Refusal::None);
  EXPECT_EQ(admit("f2", "flood"), Refusal::None);
  EXPECT_EQ(admit("f3", "flood"), Refusal::None);
  EXPECT_EQ(admit("a1", "alice"), Refusal::None);
  // Full: flood holds 3, bob 0: flood's oldest goes.
  EXPECT_EQ(admit("b1", "bob"), Refusal::None);
  EXPECT_EQ(evicted, std::vector<std::string>{"f1"});
  // flood 2, alice 1, bob 1: flood does not hold two more than alice.
  EXPECT_EQ(admit("a2", "alice"), Refusal::Total);
  // ...but two more than a newcomer.
  EXPECT_EQ(admit("c1", "carol"), Refusal::None);
  EXPECT_EQ(evicted, (std::vector<std::string>{"f1", "f2"}));
  EXPECT_EQ(ac.handshakes(), 4u);
  EXPECT_EQ(ac.handshakes_from("flood"), 1u);
  std::string m = ac.metrics_text();
  EXPECT_NE(m.find("vncgate_handshakes_evicted_total 2\n"), std::string::npos) << m;
  EXPECT_NE(m.find("vncgate_connections_refused_total{limit=\"max-handshakes\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("vncgate_handshakes_in_progress 4\n"), std::string::npos) << m;
  // Without an eviction that frees a place, the newcomer is refused.
  AdmissionControl strict({10, 1, 1 << 20});
  auto x1 = strict.admit("x", why);
  auto x2 = strict.admit("y", why);
  EXPECT_EQ(why, Refusal::Total);
}

TEST(Admission, MovedTicketReleasesOnce) {
  AdmissionControl ac;
  Refusal why;
  auto a = ac.admit("a", why);
  ASSERT_TRUE(a.set_buffered(100));
  AdmissionControl::Ticket b = std::move(a);
  EXPECT_FALSE(a.held());
  EXPECT_TRUE(b.held());
  EXPECT_EQ(ac.buffered(), 100u);
  a.release();
  EXPECT_EQ(ac.handshakes(), 1u);
  b = AdmissionControl::Ticket();
  EXPECT_EQ(ac.handshakes(), 0u);
  EXPECT_EQ(ac.buffered(), 0u);
}

TEST(Admission, BufferBudget) {
  AdmissionControl ac({10, 10, 1000});
  Refusal why;
  auto a = ac.admit("a", why);
  auto b = ac.admit("b", why);
  EXPECT_TRUE(a.set_buffered(600));
  EXPECT_FALSE(b.set_buffered(500));  // 1,100 > 1,000: refused, nothing charged
  EXPECT_EQ(b.buffered(), 0u);
  EXPECT_TRUE(b.set_buffered(400));
  EXPECT_EQ(ac.buffered(), 1000u);
  // At the budget, new handshakes are refused.
  auto c = ac.admit("c", why);
  EXPECT_FALSE(c.held());
  EXPECT_EQ(why, Refusal::Budget);
  EXPECT_EQ(ac.handshakes_from("c"), 0u);
  // Shrinking always succeeds and frees room.
  EXPECT_TRUE(a.set_buffered(100));
  EXPECT_EQ(ac.buffered(), 500u);
  a.release();
  EXPECT_EQ(ac.buffered(), 400u);
  // A released ticket charges nothing.
  EXPECT_TRUE(a.set_buffered(1 << 30));
  EXPECT_EQ(ac.buffered(), 400u);
}

TEST(Admission, DrainedAfterLargeHighWater) {
  AdmissionControl ac({100, 100, 64u << 20});
  int drained = 0;
  ac.on_drained = [&] { ++drained; };
  Refusal why;
  std::vector<AdmissionControl::Ticket> t;
  for (int i = 0; i < 80; ++i) {
    t.push_back(ac.admit(std::to_string(i), why));
    ASSERT_TRUE(t.back().set_buffered(64 * 1024));
  }
  EXPECT_EQ(drained, 0);
  t.resize(30);  // 5 MiB → 1.9 MiB: above a quarter
  EXPECT_EQ(drained, 0);
  t.resize(10);  // 640 KiB: below a quarter of the 5 MiB high-water
  EXPECT_EQ(drained, 1);
  t.clear();  // all gone after 640 KiB: once more for the last crumbs
  EXPECT_EQ(drained, 2);
  auto small = ac.admit("x", why);
  ASSERT_TRUE(small.set_buffered(4096));
  small.release();  // a few KiB are not worth a trim
  EXPECT_EQ(drained, 2);
}

TEST(Admission, RefusalLogOncePerSecondPerSource) {
  AdmissionControl ac;
  uint64_t suppressed = 99;
  EXPECT_TRUE(ac.should_log("a", 1000000, suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(ac.should_log("a", 1200000, suppressed));
  EXPECT_FALSE(ac.should_log("a", 1900000, suppressed));
  EXPECT_TRUE(ac.should_log("b", 1900000, suppressed));
  EXPECT_TRUE(ac.should_log("a", 2000000, suppressed));
  EXPECT_EQ(suppressed, 2u);
}

TEST(Admission, RefusalLogStaysBoundedForManySources) {
  AdmissionControl ac;
  uint64_t suppressed = 0;
  int logged = 0;
  // 10,000 distinct sources within one second: the first 4,096 are
  // remembered, the rest share one line a second.
  for (int i = 0; i < 10000; ++i)
    logged += ac.should_log(std::to_string(i), 5000000 + i, suppressed);
  EXPECT_EQ(logged, 4096 + 1);
  // A second later, the old entries make room again.
  EXPECT_TRUE(ac.should_log("new", 7000000, suppressed));
}

}  // namespace
}  // namespace vncgate
