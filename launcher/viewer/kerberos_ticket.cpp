#include "kerberos_ticket.h"

#include <memory>

#ifdef VNCGATE_VIEWER_HAVE_GSSAPI
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#endif

namespace vncgate::viewer {

#ifdef VNCGATE_VIEWER_HAVE_GSSAPI
namespace {

std::string status_text(OM_uint32 code, int type) {
  std::string text;
  OM_uint32 minor = 0, context = 0;
  do {
    gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
    if (GSS_ERROR(gss_display_status(&minor, code, type, GSS_C_NO_OID, &context, &msg))) break;
    if (!text.empty()) text += "; ";
    text.append(static_cast<const char *>(msg.value), msg.length);
    gss_release_buffer(&minor, &msg);
  } while (context != 0);
  return text;
}

std::string gss_error(OM_uint32 major, OM_uint32 minor) {
  std::string minor_text = minor ? status_text(minor, GSS_C_MECH_CODE) : std::string();
  return minor_text.empty() ? status_text(major, GSS_C_GSS_CODE) : minor_text;
}

struct Cred {
  gss_cred_id_t id = GSS_C_NO_CREDENTIAL;
  ~Cred() {
    OM_uint32 minor;
    if (id != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &id);
  }
};
struct Name {
  gss_name_t id = GSS_C_NO_NAME;
  ~Name() {
    OM_uint32 minor;
    if (id != GSS_C_NO_NAME) gss_release_name(&minor, &id);
  }
};
struct Context {
  gss_ctx_id_t id = GSS_C_NO_CONTEXT;
  ~Context() {
    OM_uint32 minor;
    if (id != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &id, GSS_C_NO_BUFFER);
  }
};

}  // namespace

TicketCheck check_kerberos_ticket(const std::string &host, const std::string &service) {
  using State = TicketCheck::State;
  OM_uint32 minor = 0, lifetime = 0;
  gss_OID_set_desc krb5{1, const_cast<gss_OID>(gss_mech_krb5)};
  Cred cred;
  OM_uint32 major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &krb5, GSS_C_INITIATE,
                                     &cred.id, nullptr, &lifetime);
  if (major == GSS_S_CREDENTIALS_EXPIRED || (!GSS_ERROR(major) && lifetime == 0))
    return {State::Expired, GSS_ERROR(major) ? gss_error(major, minor) : "ticket expired"};
  if (GSS_ERROR(major)) return {State::NoTicket, gss_error(major, minor)};

  // A service ticket proves the realm, the host's principal and the KDC;
  // the token is thrown away (a context of its own, nothing is sent).
  const std::string target = service + "@" + host;
  gss_buffer_desc name_buf{target.size(), const_cast<char *>(target.data())};
  Name name;
  major = gss_import_name(&minor, &name_buf, GSS_C_NT_HOSTBASED_SERVICE, &name.id);
  if (GSS_ERROR(major)) return {State::Unusable, gss_error(major, minor)};
  Context ctx;
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  major = gss_init_sec_context(
      &minor, cred.id, &ctx.id, name.id, const_cast<gss_OID>(gss_mech_krb5), GSS_C_MUTUAL_FLAG, 0,
      GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, nullptr, &out, nullptr, nullptr);
  OM_uint32 ignored;
  gss_release_buffer(&ignored, &out);
  if (major == GSS_S_CREDENTIALS_EXPIRED) return {State::Expired, gss_error(major, minor)};
  if (GSS_ERROR(major)) return {State::Unusable, gss_error(major, minor)};
  return {State::Usable, {}};
}

#else

TicketCheck check_kerberos_ticket(const std::string &, const std::string &) {
  return {TicketCheck::State::Unchecked, {}};
}

#endif

namespace {

struct CheckJob {
  std::string host;
  std::function<void(TicketCheck)> done;
  TicketCheck result;
};

void run_check(GTask *task, gpointer, gpointer task_data, GCancellable *) {
  auto *job = static_cast<CheckJob *>(task_data);
  job->result = check_kerberos_ticket(job->host);
  g_task_return_boolean(task, TRUE);
}

void on_checked(GObject *, GAsyncResult *res, gpointer) {
  auto *job = static_cast<CheckJob *>(g_task_get_task_data(G_TASK(res)));
  GCancellable *c = g_task_get_cancellable(G_TASK(res));
  if (!c || !g_cancellable_is_cancelled(c)) job->done(std::move(job->result));
}

}  // namespace

void check_kerberos_ticket_async(const std::string &host, GCancellable *cancellable,
                                 std::function<void(TicketCheck)> done) {
  auto job = std::make_unique<CheckJob>(CheckJob{host, std::move(done), {}});
  GTask *task = g_task_new(nullptr, cancellable, on_checked, nullptr);
  g_task_set_task_data(task, job.release(), [](gpointer p) { delete static_cast<CheckJob *>(p); });
  g_task_run_in_thread(task, run_check);
  g_object_unref(task);
}

}  // namespace vncgate::viewer
