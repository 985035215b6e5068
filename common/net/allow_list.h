// Client address allow-list of CIDR masks ("127.0.0.0/8", "::1", "fd00::/8").
// Empty list = everyone. IPv4-mapped IPv6 clients (::ffff:a.b.c.d, seen on
// dual-stack sockets) match IPv4 masks.
#pragma once

#include <gio/gio.h>

#include <memory>
#include <string>
#include <vector>

namespace vncgate {

class AllowList {
 public:
  AllowList() = default;
  AllowList(const AllowList &other);
  AllowList &operator=(const AllowList &other);
  AllowList(AllowList &&) noexcept = default;
  AllowList &operator=(AllowList &&) noexcept = default;
  ~AllowList() = default;

  // Adds one mask; false (and `error`) when it does not parse.
  bool add(const std::string &cidr, std::string &error);
  bool empty() const { return masks_.empty(); }
  size_t size() const { return masks_.size(); }

  bool allows(GInetAddress *address) const;
  // Convenience for tests: a textual address.
  bool allows(const std::string &address) const;

 private:
  struct MaskUnref {
    void operator()(GInetAddressMask *m) const { g_object_unref(m); }
  };
  std::vector<std::unique_ptr<GInetAddressMask, MaskUnref>> masks_;
};

}  // namespace vncgate
