#include "sasl_client.h"

#include <algorithm>
#include <cstring>
#include <mutex>

namespace vncgate::testing {
namespace {

// Cyrus stores every callback as int (*)(void); going through void (*)()
// keeps g++'s -Wcast-function-type quiet about the deliberate cast.
template <typename F>
int (*as_callback(F *fn))(void) {
  return reinterpret_cast<int (*)(void)>(reinterpret_cast<void (*)()>(fn));
}

const char *status_name(int rc) {
  switch (rc) {
    case SASL_OK:
      return "SASL_OK";
    case SASL_CONTINUE:
      return "SASL_CONTINUE";
    case SASL_INTERACT:
      return "SASL_INTERACT";
    case SASL_NOMECH:
      return "SASL_NOMECH";
    case SASL_BADAUTH:
      return "SASL_BADAUTH";
    case SASL_BADPROT:
      return "SASL_BADPROT";
    case SASL_BADSERV:
      return "SASL_BADSERV";
    case SASL_TOOWEAK:
      return "SASL_TOOWEAK";
    case SASL_ENCRYPT:
      return "SASL_ENCRYPT";
    default:
      return "SASL error";
  }
}

}  // namespace

bool sasl_client_global_init(std::string &error) {
  static std::once_flag once;
  static int rc = SASL_OK;
  std::call_once(once, [] { rc = sasl_client_init(nullptr); });
  if (rc != SASL_OK) {
    error = std::string("sasl_client_init failed: ") + sasl_errstring(rc, nullptr, nullptr);
    return false;
  }
  return true;
}

SaslClient::~SaslClient() {
  if (conn_ != nullptr) sasl_dispose(&conn_);
}

std::string SaslClient::sasl_error(const char *what, int rc) const {
  std::string msg =
      std::string(what) + " failed (" + status_name(rc) + " " + std::to_string(rc) + ")";
  const char *detail = conn_ != nullptr ? sasl_errdetail(conn_) : nullptr;
  if (detail != nullptr && *detail != '\0') msg += ": " + std::string(detail);
  return msg;
}

int SaslClient::get_simple(void *context, int id, const char **result, unsigned *len) {
  auto *self = static_cast<SaslClient *>(context);
  const std::string *value = nullptr;
  if (id == SASL_CB_AUTHNAME)
    value = &self->options_.authname;
  else if (id == SASL_CB_USER)
    value = &self->options_.authzid;
  if (value == nullptr) return SASL_FAIL;
  *result = value->c_str();
  if (len != nullptr) *len = static_cast<unsigned>(value->size());
  return SASL_OK;
}

int SaslClient::get_secret(sasl_conn_t *, void *context, int id, sasl_secret_t **psecret) {
  auto *self = static_cast<SaslClient *>(context);
  if (id != SASL_CB_PASS || psecret == nullptr) return SASL_BADPARAM;
  const std::string &pw = self->options_.password;
  self->secret_.assign(sizeof(sasl_secret_t) + pw.size() + 1, 0);
  auto *secret = reinterpret_cast<sasl_secret_t *>(self->secret_.data());
  secret->len = pw.size();
  std::memcpy(secret->data, pw.data(), pw.size());
  *psecret = secret;
  return SASL_OK;
}

int SaslClient::get_realm(void *context, int id, const char **availrealms, const char **result) {
  auto *self = static_cast<SaslClient *>(context);
  if (id != SASL_CB_GETREALM) return SASL_FAIL;
  if (!self->options_.realm.empty())
    self->realm_choice_ = self->options_.realm;
  else if (availrealms != nullptr && availrealms[0] != nullptr)
    self->realm_choice_ = availrealms[0];
  else
    self->realm_choice_.clear();
  *result = self->realm_choice_.c_str();
  return SASL_OK;
}

bool SaslClient::init(const SaslClientOptions &options, const std::string &server_fqdn,
                      const std::string &local_addr, const std::string &remote_addr,
                      std::string &error) {
  if (!sasl_client_global_init(error)) return false;
  if (conn_ != nullptr) sasl_dispose(&conn_);
  options_ = options;
  callbacks_ = {
      {SASL_CB_AUTHNAME, as_callback(&SaslClient::get_simple), this},
      {SASL_CB_USER, as_callback(&SaslClient::get_simple), this},
      {SASL_CB_PASS, as_callback(&SaslClient::get_secret), this},
      {SASL_CB_GETREALM, as_callback(&SaslClient::get_realm), this},
      {SASL_CB_LIST_END, nullptr, nullptr},
  };
  const std::string &fqdn = options.server_fqdn.empty() ? server_fqdn : options.server_fqdn;
  int rc = sasl_client_new(
      options.service.c_str(), fqdn.c_str(), local_addr.empty() ? nullptr : local_addr.c_str(),
      remote_addr.empty() ? nullptr : remote_addr.c_str(), callbacks_.data(), 0, &conn_);
  if (rc != SASL_OK) {
    error = sasl_error("sasl_client_new", rc);
    conn_ = nullptr;
    return false;
  }
  sasl_security_properties_t props{};
  props.min_ssf = options.min_ssf;
  props.max_ssf = options.max_ssf;
  props.maxbufsize = options.maxbufsize;
  props.security_flags = options.security_flags;
  rc = sasl_setprop(conn_, SASL_SEC_PROPS, &props);
  if (rc != SASL_OK) {
    error = sasl_error("sasl_setprop(SASL_SEC_PROPS)", rc);
    return false;
  }
  return true;
}

SaslClient::Status SaslClient::start(const std::string &mechlist, std::string &mechanism,
                                     std::optional<Bytes> &out, std::string &error) {
  const char *clientout = nullptr;
  unsigned clientoutlen = 0;
  const char *mech = nullptr;
  sasl_interact_t *interact = nullptr;
  int rc = sasl_client_start(conn_, mechlist.c_str(), &interact, &clientout, &clientoutlen, &mech);
  if (rc != SASL_OK && rc != SASL_CONTINUE) {
    error = sasl_error(("sasl_client_start(\"" + mechlist + "\")").c_str(), rc);
    return Status::Error;
  }
  mechanism = mech != nullptr ? mech : "";
  if (clientout != nullptr)
    out = Bytes(clientout, clientout + clientoutlen);
  else
    out.reset();
  return rc == SASL_OK ? Status::Ok : Status::Continue;
}

SaslClient::Status SaslClient::step(const std::optional<Bytes> &in, std::optional<Bytes> &out,
                                    std::string &error) {
  const char *clientout = nullptr;
  unsigned clientoutlen = 0;
  sasl_interact_t *interact = nullptr;
  const char *serverin = in ? reinterpret_cast<const char *>(in->data()) : nullptr;
  unsigned serverinlen = in ? static_cast<unsigned>(in->size()) : 0;
  static const char empty = 0;
  if (in && in->empty()) serverin = &empty;  // present but empty is not NULL
  int rc = sasl_client_step(conn_, serverin, serverinlen, &interact, &clientout, &clientoutlen);
  if (rc != SASL_OK && rc != SASL_CONTINUE) {
    error = sasl_error("sasl_client_step", rc);
    return Status::Error;
  }
  if (clientout != nullptr)
    out = Bytes(clientout, clientout + clientoutlen);
  else
    out.reset();
  return rc == SASL_OK ? Status::Ok : Status::Continue;
}

unsigned SaslClient::ssf() const {
  const void *value = nullptr;
  if (conn_ == nullptr || sasl_getprop(conn_, SASL_SSF, &value) != SASL_OK || value == nullptr)
    return 0;
  return *static_cast<const sasl_ssf_t *>(value);
}

unsigned SaslClient::max_outbuf() const {
  const void *value = nullptr;
  if (conn_ == nullptr || sasl_getprop(conn_, SASL_MAXOUTBUF, &value) != SASL_OK ||
      value == nullptr)
    return 4096;
  unsigned v = *static_cast<const unsigned *>(value);
  return v == 0 ? 4096 : v;
}

std::string SaslClient::username() const {
  const void *value = nullptr;
  if (conn_ == nullptr || sasl_getprop(conn_, SASL_USERNAME, &value) != SASL_OK || value == nullptr)
    return {};
  return static_cast<const char *>(value);
}

bool SaslClient::encode(std::span<const uint8_t> plain, Bytes &out, std::string &error) {
  size_t chunk = max_outbuf();
  for (size_t at = 0; at < plain.size(); at += chunk) {
    size_t n = std::min(chunk, plain.size() - at);
    const char *enc = nullptr;
    unsigned enclen = 0;
    int rc = sasl_encode(conn_, reinterpret_cast<const char *>(plain.data() + at),
                         static_cast<unsigned>(n), &enc, &enclen);
    if (rc != SASL_OK) {
      error = sasl_error("sasl_encode", rc);
      return false;
    }
    out.insert(out.end(), enc, enc + enclen);
  }
  return true;
}

bool SaslClient::decode(std::span<const uint8_t> raw, Bytes &out, std::string &error) {
  constexpr size_t kChunk = 65536;
  for (size_t at = 0; at < raw.size(); at += kChunk) {
    size_t n = std::min(kChunk, raw.size() - at);
    const char *dec = nullptr;
    unsigned declen = 0;
    int rc = sasl_decode(conn_, reinterpret_cast<const char *>(raw.data() + at),
                         static_cast<unsigned>(n), &dec, &declen);
    if (rc != SASL_OK) {
      error = sasl_error("sasl_decode", rc);
      return false;
    }
    if (dec != nullptr) out.insert(out.end(), dec, dec + declen);
  }
  return true;
}

}  // namespace vncgate::testing
