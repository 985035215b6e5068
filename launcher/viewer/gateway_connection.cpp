#include "gateway_connection.h"

#include <glib/gi18n.h>

#include "connect_response.h"
#include "socket_fd.h"

namespace vncgate::viewer {

GatewayJob *GatewayJob::start(const ConsoleLink &link, bool with_token, AuthHint hint, Done done) {
  auto *job = new GatewayJob(link, with_token, hint, std::move(done));
  GSocketClient *client = g_socket_client_new();
  g_socket_client_set_enable_proxy(client, FALSE);
  GSocketConnectable *addr = g_network_address_new(link.host.c_str(), link.port);
  job->arm_timer(kTcpConnectTimeoutSeconds);
  g_socket_client_connect_async(client, addr, job->cancellable_, on_connected, job);
  g_object_unref(addr);
  g_object_unref(client);
  return job;
}

GatewayJob::GatewayJob(const ConsoleLink &link, bool with_token, AuthHint hint, Done done)
    : link_(link),
      with_token_(with_token),
      hint_(hint),
      done_(std::move(done)),
      cancellable_(g_cancellable_new()) {}

GatewayJob::~GatewayJob() {
  if (timer_) g_source_remove(timer_);
  if (conn_) g_object_unref(conn_);
  g_object_unref(cancellable_);
}

void GatewayJob::cancel() {
  // The pending operation completes with G_IO_ERROR_CANCELLED and frees us.
  cancelled_ = true;
  g_cancellable_cancel(cancellable_);
}

void GatewayJob::arm_timer(unsigned seconds) {
  if (timer_) g_source_remove(timer_);
  timer_ = g_timeout_add_seconds(seconds, on_timeout, this);
}

gboolean GatewayJob::on_timeout(gpointer self) {
  auto *job = static_cast<GatewayJob *>(self);
  job->timer_ = 0;
  job->timed_out_ = true;
  g_cancellable_cancel(job->cancellable_);
  return G_SOURCE_REMOVE;
}

void GatewayJob::finish(GatewayResult r) {
  if (!cancelled_ && done_) done_(std::move(r));
  delete this;
}

void GatewayJob::fail(Outcome o, std::string message, std::string detail) {
  GatewayResult r;
  r.failure = o;
  r.message = std::move(message);
  r.detail = std::move(detail);
  finish(std::move(r));
}

void GatewayJob::on_connected(GObject *src, GAsyncResult *res, gpointer self) {
  auto *job = static_cast<GatewayJob *>(self);
  GError *err = nullptr;
  job->conn_ = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);
  if (!job->conn_) {
    std::string detail = job->timed_out_ ? std::string(_("no answer within the time limit"))
                                         : std::string(err->message);
    g_error_free(err);
    gchar *m = g_strdup_printf(_("Could not connect to %s."), job->link_.display_name().c_str());
    std::string message = m;
    g_free(m);
    job->fail(Outcome::ConnectFailed, message, detail);
    return;
  }
  if (job->link_.console.empty()) {  // plain VNC server: no preamble
    job->read_next();                // hands over at once (see read_next)
    return;
  }
  job->request_ = connect_request(job->link_, job->with_token_, job->hint_);
  job->arm_timer(kConnectAnswerTimeoutSeconds);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(job->conn_));
  g_output_stream_write_all_async(out, job->request_.data(), job->request_.size(),
                                  G_PRIORITY_DEFAULT, job->cancellable_, on_written, job);
}

void GatewayJob::on_written(GObject *src, GAsyncResult *res, gpointer self) {
  auto *job = static_cast<GatewayJob *>(self);
  GError *err = nullptr;
  if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, nullptr, &err)) {
    std::string detail = job->timed_out_ ? _("timed out") : err->message;
    g_error_free(err);
    job->fail(Outcome::ConnectFailed, _("The connection to the gateway failed."), detail);
    return;
  }
  job->read_next();
}

void GatewayJob::read_next() {
  if (!link_.console.empty()) {
    ConnectResponse r = parse_connect_response(received_);
    if (r.state == ResponseState::NeedMore) {
      GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn_));
      g_input_stream_read_async(in, &byte_, 1, G_PRIORITY_DEFAULT, cancellable_, on_read, this);
      return;
    }
    if (r.state == ResponseState::Invalid) {
      fail(Outcome::GatewayProtocol,
           r.looks_like_rfb ? _("The server is a plain VNC server, not a vncgate gateway: "
                                "open it with a vnc:// link.")
                            : _("The gateway did not answer as expected."),
           r.error);
      return;
    }
    if (r.status != 200) {
      GatewayResult out;
      out.failure = classify_connect_status(r.status, with_token_ && !link_.token.empty());
      out.message = out.failure == Outcome::GatewayRefused ? message_for_status(r.status, r.reason)
                                                           : summary_for(out.failure);
      out.detail = "HTTP " + std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason);
      out.http_status = r.status;
      finish(std::move(out));
      return;
    }
  }
  // Hand a duplicate of the socket to gtk-vnc, which owns (and closes) it;
  // our GSocketConnection closes only its own descriptor.
  GSocket *sock = g_socket_connection_get_socket(conn_);
  GatewayResult out;
  out.fd = duplicate_socket(g_socket_get_fd(sock));
  out.http_status = link_.console.empty() ? 0 : 200;
  if (out.fd < 0) {
    fail(Outcome::ConnectFailed, _("The connection to the gateway failed."),
         "duplicating the socket failed");
    return;
  }
  finish(std::move(out));
}

void GatewayJob::on_read(GObject *src, GAsyncResult *res, gpointer self) {
  auto *job = static_cast<GatewayJob *>(self);
  GError *err = nullptr;
  gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &err);
  if (n <= 0) {
    std::string detail = job->timed_out_ ? std::string(_("no answer within the time limit"))
                         : err           ? std::string(err->message)
                                         : std::string(_("the gateway closed the connection"));
    if (err) g_error_free(err);
    job->fail(Outcome::GatewayProtocol, _("The gateway did not answer as expected."), detail);
    return;
  }
  job->received_.push_back(job->byte_);
  job->read_next();
}

}  // namespace vncgate::viewer
