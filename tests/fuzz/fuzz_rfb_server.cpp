// The server-side RFB handshake parsers (client ProtocolVersion, security
// choice) and, for round trips, the backend-facing version parser and the
// encoders.
#include "fuzz_check.h"
#include "rfb/rfb_server.h"

using namespace vncgate;

namespace {

bool acceptable(RfbVersion v) {
  return v.major == 3 && (v.minor == 3 || v.minor == 7 || v.minor == 8);
}

void check_version(ByteSpan in) {
  auto v = parse_client_version(in);
  if (in.size() < 12) {
    FUZZ_CHECK(v.status == ParseStatus::NeedMore);
    return;
  }
  FUZZ_CHECK(v.status != ParseStatus::NeedMore);
  if (v.status == ParseStatus::Error) {
    FUZZ_CHECK(!v.error.empty());
    return;
  }
  FUZZ_CHECK(v.consumed == 12);
  FUZZ_CHECK(acceptable(v.value));
  // What the gateway answers parses back to the same version.
  std::string text = format_version(v.value);
  Bytes echo(text.begin(), text.end());
  auto back = parse_client_version(echo);
  FUZZ_CHECK(back.status == ParseStatus::Ok && back.value == v.value);
  // Whatever a client may send, a server may send too.
  FUZZ_CHECK(parse_server_version(in).status == ParseStatus::Ok);
}

void check_server_version(ByteSpan in) {
  auto v = parse_server_version(in);
  if (v.status != ParseStatus::Ok) return;
  FUZZ_CHECK(v.consumed == 12 && acceptable(v.value));
  std::string text = format_version(v.value);
  Bytes reply(text.begin(), text.end());
  auto echo = parse_client_version(reply);
  FUZZ_CHECK(echo.status == ParseStatus::Ok && echo.value == v.value);
}

void check_choice(ByteSpan in) {
  auto c = parse_security_choice(in);
  if (in.empty()) {
    FUZZ_CHECK(c.status == ParseStatus::NeedMore);
    return;
  }
  FUZZ_CHECK(c.status == ParseStatus::Ok && c.consumed == 1 && c.value == in[0]);
}

void check_encoders(ByteSpan in) {
  auto types = in.first(std::min<size_t>(in.size(), 255));
  Bytes offer = encode_security_types(types);
  FUZZ_CHECK(offer.size() == types.size() + 1 && offer[0] == static_cast<uint8_t>(types.size()));
  std::string_view reason(reinterpret_cast<const char *>(in.data()), in.size());
  FUZZ_CHECK(encode_v33_refusal(reason).size() == 8 + reason.size());
  FUZZ_CHECK(encode_security_result(true, reason, {3, 8}).size() == 4);
  FUZZ_CHECK(encode_security_result(false, reason, {3, 7}).size() == 4);
  Bytes failed = encode_security_result(false, reason, {3, 8});
  FUZZ_CHECK(failed.size() == 8 + reason.size() && read_u32(failed, 4) == reason.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ByteSpan in(data, size);
  check_version(in);
  check_server_version(in);
  // The choice follows the version in the stream.
  check_choice(in.size() >= 12 ? in.subspan(12) : in);
  check_choice(in);
  check_encoders(in);
  return 0;
}
