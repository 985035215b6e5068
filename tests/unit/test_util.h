// Small helpers shared by the unit tests: byte buffers from text and
// substring assertions with readable failure messages.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "rfb/parse.h"

namespace vncgate::test {

inline Bytes bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto &p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes u32(uint32_t v) {
  Bytes out;
  put_u32(out, v);
  return out;
}

inline ::testing::AssertionResult Contains(const std::string &haystack, std::string_view needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "'" << haystack << "' does not contain '" << needle << "'";
}

}  // namespace vncgate::test
