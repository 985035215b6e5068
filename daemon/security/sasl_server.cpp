#include "security/sasl_server.h"

#include <glib.h>

#include <cstring>

#include "logging.h"

namespace vncgate {
namespace {

int sasl_log_cb(void *, int level, const char *message) {
  if (!message) return SASL_OK;
  // Cyrus messages name users and mechanisms, never passwords.
  GLogLevelFlags l = level <= SASL_LOG_ERR ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_DEBUG;
  log_record(l, std::string("sasl: ") + log_safe(message, 400));
  return SASL_OK;
}

std::string g_keytab;

int sasl_getopt_cb(void *, const char *plugin, const char *option, const char **result,
                   unsigned *len) {
  if (!g_keytab.empty() && option && g_strcmp0(option, "keytab") == 0 &&
      (!plugin || g_ascii_strcasecmp(plugin, "GSSAPI") == 0)) {
    *result = g_keytab.c_str();
    if (len) *len = static_cast<unsigned>(g_keytab.size());
    return SASL_OK;
  }
  return SASL_FAIL;  // not ours: Cyrus reads <app-name>.conf
}

template <typename F>
int (*as_sasl_cb(F *f))() {
  return reinterpret_cast<int (*)()>(reinterpret_cast<void (*)()>(f));
}

const sasl_callback_t kCallbacks[] = {
    {SASL_CB_LOG, as_sasl_cb(&sasl_log_cb), nullptr},
    {SASL_CB_GETOPT, as_sasl_cb(&sasl_getopt_cb), nullptr},
    {SASL_CB_LIST_END, nullptr, nullptr},
};

bool g_initialised = false;

// Cyrus' own mutex functions (lib/common.c, sasl_mutex_alloc & co.) are
// no-ops ("no thread protection"): a program that calls libsasl from
// several threads must supply real ones with sasl_set_mutex() before
// sasl_server_init(), which newer Cyrus versions enforce. The locks guard
// Cyrus' shared state: the DIGEST-MD5 reauthentication cache and, when
// Cyrus was built with GSS_USE_MUTEXES (for GSS libraries that are not
// thread-safe), every call into GSS-API. The rest holds per connection:
// each sasl_conn_t is used by one thread at a time (the session hands its
// conversation to one pool job at a time and reads no input meanwhile);
// the sasldb backend opens its own Berkeley DB handle for every lookup
// (lib/db_berkeley.c, or a shared one opened with DB_THREAD when built
// with KEEP_DB_OPEN); MIT krb5, under the GSSAPI plugin, is thread-safe;
// saslauthd is a socket per request. Log and getopt callbacks only read
// what main() set before the first session.
void *sasl_mutex_new() {
  auto *m = g_new(GMutex, 1);
  g_mutex_init(m);
  return m;
}
int sasl_mutex_take(void *m) {
  g_mutex_lock(static_cast<GMutex *>(m));
  return SASL_OK;
}
int sasl_mutex_give(void *m) {
  g_mutex_unlock(static_cast<GMutex *>(m));
  return SASL_OK;
}
void sasl_mutex_delete(void *m) {
  g_mutex_clear(static_cast<GMutex *>(m));
  g_free(m);
}

}  // namespace

bool sasl_server_global_init(const std::string &app_name, std::string &error) {
  if (g_initialised) return true;
  sasl_set_mutex(&sasl_mutex_new, &sasl_mutex_take, &sasl_mutex_give, &sasl_mutex_delete);
  // Cyrus keeps the pointer (and reads it again in every sasl_server_new),
  // so the name must outlive the caller's string.
  static std::string kept_app_name;
  kept_app_name = app_name;
  int rc = sasl_server_init(kCallbacks, kept_app_name.c_str());
  if (rc != SASL_OK) {
    error =
        std::string("Cyrus SASL initialisation failed: ") + sasl_errstring(rc, nullptr, nullptr);
    return false;
  }
  g_initialised = true;
  return true;
}

void sasl_server_set_keytab(const std::string &keytab) {
  g_keytab = keytab;
}

void sasl_server_global_done() {
  if (g_initialised) sasl_server_done();
  g_initialised = false;
}

std::unique_ptr<SaslServerSession> SaslServerSession::create(const SaslServerOptions &opts,
                                                             std::string &error) {
  std::unique_ptr<SaslServerSession> s(new SaslServerSession());
  s->callbacks_[0] = {SASL_CB_LOG, as_sasl_cb(&sasl_log_cb), nullptr};
  s->callbacks_[1] = {SASL_CB_CANON_USER, as_sasl_cb(&SaslServerSession::canon_user), s.get()};
  s->callbacks_[2] = {SASL_CB_LIST_END, nullptr, nullptr};
  int rc = sasl_server_new(opts.service.c_str(), nullptr,
                           opts.realm.empty() ? nullptr : opts.realm.c_str(),
                           opts.local_address.empty() ? nullptr : opts.local_address.c_str(),
                           opts.remote_address.empty() ? nullptr : opts.remote_address.c_str(),
                           s->callbacks_, SASL_SUCCESS_DATA, &s->conn_);
  if (rc != SASL_OK) {
    error = std::string("sasl_server_new: ") + sasl_errstring(rc, nullptr, nullptr);
    return nullptr;
  }
  s->external_ssf_ = opts.external_ssf;
  if (opts.external_ssf) {
    sasl_ssf_t ext = opts.external_ssf;
    sasl_setprop(s->conn_, SASL_SSF_EXTERNAL, &ext);
  }
  sasl_security_properties_t props;
  std::memset(&props, 0, sizeof props);
  s->min_ssf_ = opts.external_ssf ? 0 : opts.min_ssf;
  props.min_ssf = s->min_ssf_;
  props.max_ssf = opts.external_ssf ? 0 : 100000;  // inside TLS: no second layer
  props.maxbufsize = 65536;
  props.security_flags = SASL_SEC_NOANONYMOUS;
  if (!opts.allow_plaintext) props.security_flags |= SASL_SEC_NOPLAINTEXT;
  rc = sasl_setprop(s->conn_, SASL_SEC_PROPS, &props);
  if (rc != SASL_OK) {
    error = std::string("sasl_setprop: ") + sasl_errdetail(s->conn_);
    return nullptr;
  }
  const char *list = nullptr;
  unsigned len = 0;
  int count = 0;
  rc = sasl_listmech(s->conn_, nullptr, "", ",", "", &list, &len, &count);
  if (rc != SASL_OK || count == 0 || len == 0) {
    error =
        "no SASL mechanism is usable with these security settings (check the mech_list of "
        "the SASL application config and min-ssf)";
    return nullptr;
  }
  s->mechlist_.assign(list, len);
  if (opts.external_ssf && !opts.allow_plaintext) {
    // Cyrus drops NOPLAINTEXT once an external layer exists, but anonymous
    // TLS does not authenticate the server: keep cleartext passwords out.
    std::string kept;
    gchar **mechs = g_strsplit(s->mechlist_.c_str(), ",", -1);
    for (gchar **m = mechs; *m; ++m) {
      if (g_ascii_strcasecmp(*m, "PLAIN") == 0 || g_ascii_strcasecmp(*m, "LOGIN") == 0) continue;
      kept += (kept.empty() ? "" : ",") + std::string(*m);
    }
    g_strfreev(mechs);
    if (kept.empty()) {
      error =
          "no SASL mechanism is usable inside anonymous TLS (PLAIN and LOGIN are not offered "
          "there; add scram-sha-256 or digest-md5 to mech_list)";
      return nullptr;
    }
    s->mechlist_ = kept;
  }
  if (!apply_mechanism_hint(s->mechlist_, opts.auth_hint, error)) return nullptr;
  return s;
}

// Pass-through canonicalisation: Cyrus' own rules still apply after it; we
// only note the name the client claimed so a failed login can be logged
// with it.
int SaslServerSession::canon_user(sasl_conn_t *, void *context, const char *in, unsigned inlen,
                                  unsigned flags, const char *, char *out, unsigned out_max,
                                  unsigned *out_len) {
  if (inlen >= out_max) return SASL_BUFOVER;
  std::memcpy(out, in, inlen);
  out[inlen] = '\0';
  *out_len = inlen;
  auto *self = static_cast<SaslServerSession *>(context);
  if ((flags & SASL_CU_AUTHID) && self) self->attempted_user_.assign(in, inlen);
  return SASL_OK;
}

SaslServerSession::~SaslServerSession() {
  if (conn_) sasl_dispose(&conn_);
}

bool SaslServerSession::offers(const std::string &mech) const {
  size_t pos = 0;
  while (pos <= mechlist_.size()) {
    size_t comma = mechlist_.find(',', pos);
    if (comma == std::string::npos) comma = mechlist_.size();
    if (mechlist_.compare(pos, comma - pos, mech) == 0 && comma - pos == mech.size()) return true;
    pos = comma + 1;
  }
  return false;
}

SaslServerSession::Step SaslServerSession::finish(int rc, const char *out, unsigned outlen) {
  Step st;
  if (rc != SASL_OK && rc != SASL_CONTINUE) {
    st.outcome = Outcome::Failed;
    st.error = sasl_errdetail(conn_);
    return st;
  }
  if (out) st.serverout = Bytes(out, out + outlen);
  if (rc == SASL_CONTINUE) {
    st.outcome = Outcome::Continue;
    return st;
  }
  const void *val = nullptr;
  if (sasl_getprop(conn_, SASL_SSF, &val) != SASL_OK || !val) {
    st.outcome = Outcome::Failed;
    st.error = "cannot read the negotiated SSF";
    return st;
  }
  ssf_ = *static_cast<const sasl_ssf_t *>(val);
  if (external_ssf_ == 0 && ssf_ < min_ssf_) {
    st.outcome = Outcome::Failed;
    st.error =
        "negotiated SSF " + std::to_string(ssf_) + " is below min-ssf " + std::to_string(min_ssf_);
    return st;
  }
  if (sasl_getprop(conn_, SASL_USERNAME, &val) != SASL_OK || !val ||
      !*static_cast<const char *>(val)) {
    st.outcome = Outcome::Failed;
    st.error = "no user name after authentication";
    return st;
  }
  username_ = static_cast<const char *>(val);
  if (sasl_getprop(conn_, SASL_MAXOUTBUF, &val) == SASL_OK && val) {
    unsigned m = *static_cast<const unsigned *>(val);
    if (m > 0) maxoutbuf_ = m;
  }
  st.outcome = Outcome::Complete;
  return st;
}

SaslServerSession::Step SaslServerSession::start(const std::string &mech,
                                                 const std::optional<Bytes> &in) {
  if (!offers(mech)) {
    Step st;
    st.error = "mechanism " + log_safe(mech) + " was not offered";
    return st;
  }
  mechanism_ = mech;
  const char *out = nullptr;
  unsigned outlen = 0;
  int rc = sasl_server_start(conn_, mech.c_str(),
                             in ? reinterpret_cast<const char *>(in->data()) : nullptr,
                             in ? static_cast<unsigned>(in->size()) : 0, &out, &outlen);
  return finish(rc, out, outlen);
}

SaslServerSession::Step SaslServerSession::step(const std::optional<Bytes> &in) {
  const char *out = nullptr;
  unsigned outlen = 0;
  int rc = sasl_server_step(conn_, in ? reinterpret_cast<const char *>(in->data()) : nullptr,
                            in ? static_cast<unsigned>(in->size()) : 0, &out, &outlen);
  return finish(rc, out, outlen);
}

bool SaslServerSession::encode(const uint8_t *in, size_t len, Bytes &out) {
  const char *enc = nullptr;
  unsigned enclen = 0;
  if (sasl_encode(conn_, reinterpret_cast<const char *>(in), static_cast<unsigned>(len), &enc,
                  &enclen) != SASL_OK)
    return false;
  out.insert(out.end(), enc, enc + enclen);
  return true;
}

bool SaslServerSession::decode(const uint8_t *in, size_t len, Bytes &out) {
  const char *dec = nullptr;
  unsigned declen = 0;
  if (sasl_decode(conn_, reinterpret_cast<const char *>(in), static_cast<unsigned>(len), &dec,
                  &declen) != SASL_OK)
    return false;
  if (declen) out.insert(out.end(), dec, dec + declen);
  return true;
}

}  // namespace vncgate
