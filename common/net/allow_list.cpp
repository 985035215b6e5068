#include "net/allow_list.h"

#include <cstring>
#include <memory>

namespace vncgate {

AllowList::AllowList(const AllowList &other) {
  *this = other;
}

AllowList &AllowList::operator=(const AllowList &other) {
  if (this == &other) return *this;
  masks_.clear();
  for (const auto &m : other.masks_) {
    masks_.emplace_back(static_cast<GInetAddressMask *>(g_object_ref(m.get())));
  }
  return *this;
}

bool AllowList::add(const std::string &cidr, std::string &error) {
  GError *err = nullptr;
  GInetAddressMask *mask = g_inet_address_mask_new_from_string(cidr.c_str(), &err);
  if (!mask) {
    error = "'" + cidr + "' is not an address or CIDR mask";
    g_error_free(err);
    return false;
  }
  masks_.emplace_back(mask);
  return true;
}

bool AllowList::allows(GInetAddress *address) const {
  if (masks_.empty()) return true;
  GInetAddress *candidate = address;
  GInetAddress *mapped_v4 = nullptr;
  if (g_inet_address_get_family(address) == G_SOCKET_FAMILY_IPV6) {
    const guint8 *b = g_inet_address_to_bytes(address);
    static const guint8 kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, kMappedPrefix, 12) == 0) {
      mapped_v4 = g_inet_address_new_from_bytes(b + 12, G_SOCKET_FAMILY_IPV4);
    }
  }
  bool ok = false;
  for (const auto &m : masks_) {
    if (g_inet_address_mask_matches(m.get(), candidate) ||
        (mapped_v4 && g_inet_address_mask_matches(m.get(), mapped_v4))) {
      ok = true;
      break;
    }
  }
  if (mapped_v4) g_object_unref(mapped_v4);
  return ok;
}

bool AllowList::allows(const std::string &address) const {
  GInetAddress *a = g_inet_address_new_from_string(address.c_str());
  if (!a) return false;
  bool ok = allows(a);
  g_object_unref(a);
  return ok;
}

}  // namespace vncgate
