// RfbSaslTestClient: the SASL exchange (docs/rfb-sasl.md §2), the
// SecurityResult that ends it, and the one-call handshakes.
#include <algorithm>

#include "rfb/parse.h"
#include "rfb/rfb_server.h"
#include "rfb/sasl_messages.h"
#include "rfb_test_client.h"

namespace vncgate::testing {
namespace {

constexpr uint32_t kMaxMechlist = 65536;
constexpr unsigned kMaxSaslRounds = 32;

// The wire data field for Cyrus output: nullopt = NULL (length 0); present
// but empty = length 1 with just the NUL (an empty vector's data() may be
// null, so it must not decide).
Bytes sasl_data_field(const std::optional<Bytes> &out) {
  static const char empty = 0;
  if (!out) return encode_sasl_data(nullptr, 0);
  const char *p = out->empty() ? &empty : reinterpret_cast<const char *>(out->data());
  return encode_sasl_data(p, static_cast<unsigned>(out->size()));
}

}  // namespace

// ---- SASL ---------------------------------------------------------------------

std::optional<std::string> RfbSaslTestClient::read_sasl_mechlist() {
  uint32_t len = 0;
  if (!read_u32(len, "reading the SASL mechanism list")) return std::nullopt;
  if (len > kMaxMechlist) {
    fail("SASL mechanism list length " + std::to_string(len) + " is absurd");
    return std::nullopt;
  }
  if (!fill(len, "reading the SASL mechanism list")) return std::nullopt;
  std::string list(reinterpret_cast<const char *>(raw_in_.data() + raw_pos_), len);
  raw_pos_ += len;
  return list;
}

bool RfbSaslTestClient::read_sasl_data(std::optional<Bytes> &out, const char *what) {
  uint32_t len = 0;
  if (!read_u32(len, what)) return false;
  if (len == 0) {
    out.reset();
    return true;
  }
  if (len > kMaxSaslClientData + 1)
    return fail(std::string(what) + ": data length " + std::to_string(len) + " is too large");
  if (!fill(len, what)) return false;
  const uint8_t *p = raw_in_.data() + raw_pos_;
  raw_pos_ += len;
  if (p[len - 1] != 0)
    return fail(std::string(what) + ": data of length " + std::to_string(len) +
                " does not end in NUL");
  out = Bytes(p, p + len - 1);
  return true;
}

SaslOutcome RfbSaslTestClient::sasl_authenticate(const SaslClientOptions &options) {
  auto mechlist = read_sasl_mechlist();
  if (!mechlist) {
    SaslOutcome out;
    out.error = error_;
    out.peer_closed = eof_;
    return out;
  }
  return sasl_authenticate_with(options, *mechlist);
}

SaslOutcome RfbSaslTestClient::sasl_authenticate_with(const SaslClientOptions &options,
                                                      const std::string &mechlist) {
  SaslOutcome out;
  out.mechlist = mechlist;
  sasl_ok_ = false;
  auto finish = [&](std::string why) {
    out.error = std::move(why);
    out.peer_closed = eof_;
    error_ = out.error;
    return out;
  };

  sasl_ = std::make_unique<SaslClient>();
  std::string err;
  if (!sasl_->init(options, host_, sock_.local_address(), sock_.remote_address(), err))
    return finish(err);
  std::optional<Bytes> clientout;
  const std::string &offer = options.force_mechlist.empty() ? mechlist : options.force_mechlist;
  auto status = sasl_->start(offer, out.mechanism, clientout, err);
  if (status == SaslClient::Status::Error) return finish(err);
  bool client_done = status == SaslClient::Status::Ok;

  Bytes msg;
  put_u32(msg, static_cast<uint32_t>(out.mechanism.size()));
  put_string(msg, out.mechanism);
  Bytes data = sasl_data_field(clientout);
  msg.insert(msg.end(), data.begin(), data.end());
  if (!send_raw(msg)) return finish("sending the SASL start message: " + error_);

  for (;;) {
    if (out.round_trips >= kMaxSaslRounds)
      return finish("SASL exchange did not finish after " + std::to_string(kMaxSaslRounds) +
                    " rounds");
    std::optional<Bytes> serverin;
    if (!read_sasl_data(serverin, "reading a SASL server reply")) return finish(error_);
    if (!fill(1, "reading the SASL complete flag")) return finish(error_);
    uint8_t complete = raw_in_[raw_pos_++];
    ++out.round_trips;
    if (complete > 1)
      return finish("SASL complete flag is " + std::to_string(complete) + ", not 0 or 1");

    if (complete == 1) {
      out.server_complete = true;
      if (!client_done) {
        if (!serverin)
          return finish("server sent complete=1 with no data before the " + out.mechanism +
                        " client finished (authentication refused?)");
        std::optional<Bytes> ignored;
        status = sasl_->step(serverin, ignored, err);
        if (status == SaslClient::Status::Error)
          return finish("verifying the server's final " + out.mechanism + " message: " + err);
        if (status == SaslClient::Status::Continue)
          return finish("server sent complete=1 but the " + out.mechanism +
                        " client needs another step");
      }
      break;
    }

    std::optional<Bytes> reply;
    if (!client_done) {
      status = sasl_->step(serverin, reply, err);
      if (status == SaslClient::Status::Error) return finish(err);
      client_done = status == SaslClient::Status::Ok;
    }
    Bytes step = sasl_data_field(reply);
    if (!send_raw(step)) return finish("sending a SASL step: " + error_);
  }

  out.ok = true;
  out.ssf = sasl_->ssf();
  sasl_ok_ = true;
  ssf_ = out.ssf;
  return out;
}

std::optional<SecurityResultMsg> RfbSaslTestClient::read_security_result(
    std::optional<bool> with_reason) {
  SecurityResultMsg msg;
  if (!read_u32(msg.status, "reading the SecurityResult")) return std::nullopt;
  bool reason = with_reason.value_or(client_minor_ >= 8);
  if (msg.status != 0 && reason &&
      !read_reason(msg.reason, "reading the SecurityResult failure reason"))
    return std::nullopt;
  if (msg.ok() && sasl_ok_ && ssf_ > 0) {
    layer_ = true;
    // Whatever arrived behind the SecurityResult is already layer-encoded.
    if (raw_buffered() > 0) {
      std::string err;
      ByteSpan rest(raw_in_.data() + raw_pos_, raw_buffered());
      raw_pos_ = raw_in_.size();
      if (!sasl_->decode(rest, plain_in_, err)) {
        fail(err);
        return std::nullopt;
      }
    }
  }
  return msg;
}

bool RfbSaslTestClient::handshake_sasl(std::string_view connect_path,
                                       const SaslClientOptions &options, SaslOutcome *outcome) {
  if (!connect_path.empty()) {
    int code = http_connect(connect_path);
    if (code < 0) return false;
    if (code != 200)
      return fail("HTTP CONNECT " + std::string(connect_path) + " answered " +
                  std::to_string(code));
  }
  if (!exchange_version(8)) return false;
  auto types = read_security_types();
  if (!types) return false;
  if (std::find(types->begin(), types->end(), kSecSasl) == types->end())
    return fail("server does not offer security type 20 (SASL)");
  if (!choose_security_type(kSecSasl)) return false;
  SaslOutcome result = sasl_authenticate(options);
  if (outcome != nullptr) *outcome = result;
  if (!result.ok) {
    // Prefer the server's stated reason when it sends one.
    std::string why = "SASL: " + result.error;
    if (result.server_complete && !eof_) {
      if (auto res = read_security_result(); res && !res->ok())
        why += "; server SecurityResult: " + printable(res->reason);
    }
    return fail(why);
  }
  auto res = read_security_result();
  if (!res) return false;
  if (!res->ok()) return fail("SecurityResult failed: " + printable(res->reason));
  return true;
}

bool RfbSaslTestClient::handshake_none(std::string_view connect_path) {
  if (!connect_path.empty()) {
    int code = http_connect(connect_path);
    if (code < 0) return false;
    if (code != 200)
      return fail("HTTP CONNECT " + std::string(connect_path) + " answered " +
                  std::to_string(code));
  }
  if (!exchange_version(8)) return false;
  auto types = read_security_types();
  if (!types) return false;
  if (std::find(types->begin(), types->end(), kSecNone) == types->end())
    return fail("server does not offer security type 1 (None)");
  if (!choose_security_type(kSecNone)) return false;
  auto res = read_security_result();
  if (!res) return false;
  if (!res->ok()) return fail("SecurityResult failed: " + printable(res->reason));
  return true;
}

}  // namespace vncgate::testing
