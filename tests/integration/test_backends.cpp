// Backend variety behind the gateway, each with gtk-vnc as the client:
// QEMU's own RFB server, and a TigerVNC Xvnc that asks for a VNC password
// (backend-password-file), which the daemon answers as a client.
#include <gtest/gtest.h>

#include "gateway_test.h"
#include "qemu_backend.h"

namespace vncgate::it {
namespace {

class BackendTest : public GatewayTest {};

std::string field(const AuditRecord &a, const std::string &key) {
  auto it = a.find(key);
  return it == a.end() ? std::string("<missing>") : it->second;
}

TEST_F(BackendTest, QemuBackend) {
  QemuBackend qemu;
  std::string error;
  ASSERT_TRUE(qemu.start(dir_.file("qemu.log"), error)) << error;
  daemon_.config().set("console:qemu", "backend", qemu.address());
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient client(via_gateway("qemu"));
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();
  EXPECT_EQ(client.desktop_name(), "QEMU");
  // QEMU starts at 640x480 and resizes to SeaBIOS's 720x400 text mode
  // (DesktopResize through the relay); then the whole screen arrives.
  EXPECT_TRUE(
      client.run_until([&] { return client.width() == 720 && client.height() == 400; }, 15s))
      << client.describe();
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();
  EXPECT_GE(client.updated_area(), 720u * 400u);
  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(field(*audit, "end"), "client closed") << to_string(*audit);
}

TEST_F(BackendTest, BackendWithVncPassword) {
  auto backend = std::make_unique<XvncBackend>();
  std::string error;
  ASSERT_TRUE(backend->start(dir_.file("xvnc-locked.log"), 1024, 768, error, "bk-pass1")) << error;
  daemon_.config().set("console:locked", "backend", backend->address());
  daemon_.config().set("console:locked", "backend-password-file",
                       dir_.write("backend-password", "bk-pass1\n"));
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient client(via_gateway("locked"));
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();
  EXPECT_EQ(client.width(), 1024);
  EXPECT_EQ(client.height(), 768);
  EXPECT_EQ(client.desktop_name(), backend->desktop_name());
  client.close();
  EXPECT_EQ(daemon_.log().find("bk-pass1"), std::string::npos) << "a password reached the log";
}

TEST_F(BackendTest, BackendRejectsOurPassword) {
  auto backend = std::make_unique<XvncBackend>();
  std::string error;
  ASSERT_TRUE(backend->start(dir_.file("xvnc-locked.log"), 800, 600, error, "right-pw")) << error;
  daemon_.config().set("console:locked", "backend", backend->address());
  daemon_.config().set("console:locked", "backend-password-file",
                       dir_.write("backend-password", "wrong-pw\n"));
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient client(via_gateway("locked"));
  ASSERT_TRUE(client.open(error)) << error;
  // Whatever the daemon tells the client, it must not hang it, and the
  // session must not come up.
  ASSERT_TRUE(client.wait_settled(15s)) << client.describe();
  EXPECT_TRUE(client.wait_disconnected(10s)) << client.describe();
  EXPECT_FALSE(client.initialized()) << client.describe();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_NE(field(*audit, "end"), "client closed") << to_string(*audit);
  EXPECT_NE(field(*audit, "end").find("backend"), std::string::npos) << to_string(*audit);
  EXPECT_LOG(daemon_, "console locked: backend .*(refused|fail)", 5s);
  EXPECT_EQ(daemon_.log().find("wrong-pw"), std::string::npos) << "a password reached the log";
}

}  // namespace
}  // namespace vncgate::it
