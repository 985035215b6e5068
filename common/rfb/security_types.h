// RFB security type numbers (RFC 6143 §7.1.2 and the IANA registry) and the
// VeNCrypt subtype numbers as QEMU, gtk-vnc and libvncserver implement
// them (docs/rfb-sasl.md §5). The one definition for the daemon, the
// common RFB client and the viewer.
#pragma once

#include <cstdint>

namespace vncgate {

enum SecurityType : uint8_t {
  kSecInvalid = 0,
  kSecNone = 1,
  kSecVncAuth = 2,
  kSecVeNCrypt = 19,
  kSecSasl = 20,
};

enum VeNCryptSubtype : uint32_t {
  kVeNCryptPlain = 256,
  kVeNCryptTlsNone = 257,
  kVeNCryptTlsVnc = 258,
  kVeNCryptTlsPlain = 259,
  kVeNCryptX509None = 260,
  kVeNCryptX509Vnc = 261,
  kVeNCryptX509Plain = 262,
  kVeNCryptX509Sasl = 263,
  kVeNCryptTlsSasl = 264,
};

}  // namespace vncgate
