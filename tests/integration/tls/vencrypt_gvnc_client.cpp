// GValueArray is deprecated in GLib but is what gtk-vnc's signals carry.
#define GLIB_DISABLE_DEPRECATION_WARNINGS 1

#include "vencrypt_gvnc_client.h"

#include <glib-object.h>
#include <gvnc.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "wire_tap.h"

namespace vncgate::it::tls {

namespace {

const VncPixelFormat kLocalFormat = {
    32, 24, G_BYTE_ORDER, 1, 255, 255, 255, 16, 8, 0,
};

bool contains(const std::vector<unsigned> &v, unsigned x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

VencryptGvncClient::VencryptGvncClient(VencryptGvncOptions options) : options_(std::move(options)) {
  if (std::getenv("VNCGATE_TEST_GVNC_DEBUG")) vnc_util_set_debug(TRUE);
  conn_ = vnc_connection_new();
  g_signal_connect(conn_, "vnc-auth-choose-type", G_CALLBACK(on_choose_type), this);
  g_signal_connect(conn_, "vnc-auth-choose-subtype", G_CALLBACK(on_choose_subtype), this);
  g_signal_connect(conn_, "vnc-auth-credential", G_CALLBACK(on_credential), this);
  g_signal_connect(conn_, "vnc-initialized", G_CALLBACK(on_initialized), this);
  g_signal_connect(conn_, "vnc-framebuffer-update", G_CALLBACK(on_update), this);
  g_signal_connect(conn_, "vnc-desktop-resize", G_CALLBACK(on_desktop_resize), this);
  g_signal_connect(conn_, "vnc-auth-failure", G_CALLBACK(on_auth_failure), this);
  g_signal_connect(conn_, "vnc-auth-unsupported", G_CALLBACK(on_auth_unsupported), this);
  g_signal_connect(conn_, "vnc-error", G_CALLBACK(on_error), this);
  g_signal_connect(conn_, "vnc-disconnected", G_CALLBACK(on_disconnected), this);
}

VencryptGvncClient::~VencryptGvncClient() {
  if (conn_) {
    if (vnc_connection_is_open(conn_) && !disconnected_) close(std::chrono::seconds(5));
    g_signal_handlers_disconnect_by_data(conn_, this);
    g_object_unref(conn_);
  }
  tap_.reset();
}

bool VencryptGvncClient::open(std::string &error) {
  if (!socket_.connect(options_.port, error)) return false;
  if (!options_.console.empty()) {
    if (!socket_.send("CONNECT /console/" + options_.console +
                          " HTTP/1.1\r\nHost: " + options_.host + "\r\n\r\n",
                      error))
      return false;
    bool complete = socket_.read_until("\r\n\r\n", http_response_, 20000);
    std::string status_line = http_response_.substr(0, http_response_.find("\r\n"));
    if (status_line.starts_with("HTTP/1.") && status_line.size() >= 12)
      http_status_ = std::atoi(status_line.c_str() + 9);
    if (!complete || http_status_ != 200) {
      error = "CONNECT answered '" + status_line + "'";
      return false;
    }
  }
  int fd = socket_.release();
  if (options_.wire_tap) {
    tap_ = std::make_unique<WireTap>();
    int client_fd = tap_->start(fd);
    if (client_fd < 0) {
      error = "wire tap failed";
      return false;
    }
    fd = client_fd;
  }
  vnc_connection_set_shared(conn_, options_.shared);
  if (!vnc_connection_open_fd_with_hostname(conn_, fd, options_.host.c_str())) {
    error = "vnc_connection_open_fd_with_hostname failed";
    return false;
  }
  return true;
}

bool VencryptGvncClient::run_until(const std::function<bool()> &done,
                                   std::chrono::milliseconds timeout) {
  bool expired = false;
  guint id = g_timeout_add(
      static_cast<guint>(std::max<long>(1, timeout.count())),
      [](gpointer flag) -> gboolean {
        *static_cast<bool *>(flag) = true;
        return G_SOURCE_REMOVE;
      },
      &expired);
  while (!done() && !expired) g_main_context_iteration(nullptr, TRUE);
  if (!expired) g_source_remove(id);
  return done();
}

bool VencryptGvncClient::wait_initialized(std::chrono::milliseconds timeout) {
  return run_until([this] { return initialized_ || disconnected_; }, timeout) && initialized_;
}

bool VencryptGvncClient::wait_full_update(std::chrono::milliseconds timeout) {
  auto covered = [this] {
    return initialized_ && updated_area_ >= static_cast<uint64_t>(width_) * height_ && ux0_ == 0 &&
           uy0_ == 0 && ux1_ == width_ && uy1_ == height_;
  };
  return run_until([&] { return covered() || disconnected_; }, timeout) && covered();
}

bool VencryptGvncClient::wait_disconnected(std::chrono::milliseconds timeout) {
  return run_until([this] { return disconnected_; }, timeout);
}

bool VencryptGvncClient::wait_settled(std::chrono::milliseconds timeout) {
  return run_until([this] { return initialized_ || disconnected_; }, timeout);
}

bool VencryptGvncClient::refresh(std::chrono::milliseconds timeout) {
  if (!initialized_ || disconnected_) return false;
  updated_area_ = 0;
  ux0_ = uy0_ = ux1_ = uy1_ = 0;
  request_full_update();
  return wait_full_update(timeout);
}

void VencryptGvncClient::close(std::chrono::milliseconds timeout) {
  if (!conn_ || disconnected_) return;
  vnc_connection_shutdown(conn_);
  wait_disconnected(timeout);
}

std::string VencryptGvncClient::error_text() const {
  std::string out;
  for (const auto &e : errors_) out += (out.empty() ? "" : " | ") + e;
  return out;
}

std::string VencryptGvncClient::describe() const {
  std::ostringstream out;
  out << "offered types [";
  for (unsigned t : offered_types_) out << " " << t;
  out << " ], subtypes [";
  for (unsigned t : offered_subtypes_) out << " " << t;
  out << " ]; ";
  if (initialized_)
    out << "initialized " << width_ << "x" << height_ << " '" << desktop_name_ << "', updated area "
        << updated_area_ << "; ";
  if (auth_failed_) out << "auth failure: '" << auth_failure_reason_ << "'; ";
  for (const auto &e : errors_) out << "error: '" << e << "'; ";
  out << (disconnected_ ? "disconnected" : "connected");
  return out.str();
}

std::string VencryptGvncClient::wire_client_to_server() const {
  return tap_ ? tap_->client_to_server() : std::string();
}

std::string VencryptGvncClient::wire_server_to_client() const {
  return tap_ ? tap_->server_to_client() : std::string();
}

void VencryptGvncClient::request_full_update() {
  vnc_connection_framebuffer_update_request(conn_, FALSE, 0, 0, static_cast<guint16>(width_),
                                            static_cast<guint16>(height_));
}

void VencryptGvncClient::set_framebuffer() {
  const int rowstride = width_ * 4;
  pixels_.assign(static_cast<size_t>(rowstride) * height_, 0);
  VncBaseFramebuffer *fb = vnc_base_framebuffer_new(pixels_.data(), static_cast<guint16>(width_),
                                                    static_cast<guint16>(height_), rowstride,
                                                    &kLocalFormat, &kLocalFormat);
  vnc_connection_set_framebuffer(conn_, VNC_FRAMEBUFFER(fb));
  g_object_unref(fb);
  updated_area_ = 0;
  ux0_ = uy0_ = ux1_ = uy1_ = 0;
  request_full_update();
}

void VencryptGvncClient::on_choose_type(VncConnection *conn, void *types, void *data) {
  auto *self = static_cast<VencryptGvncClient *>(data);
  auto *array = static_cast<GValueArray *>(types);
  for (guint i = 0; i < array->n_values; ++i)
    self->offered_types_.push_back(static_cast<unsigned>(g_value_get_enum(&array->values[i])));
  if (contains(self->offered_types_, self->options_.auth_type)) {
    vnc_connection_set_auth_type(conn, self->options_.auth_type);
  } else {
    self->errors_.push_back("server did not offer security type " +
                            std::to_string(self->options_.auth_type));
    vnc_connection_shutdown(conn);
  }
}

void VencryptGvncClient::on_choose_subtype(VncConnection *conn, unsigned, void *subtypes,
                                           void *data) {
  auto *self = static_cast<VencryptGvncClient *>(data);
  auto *array = static_cast<GValueArray *>(subtypes);
  for (guint i = 0; i < array->n_values; ++i)
    self->offered_subtypes_.push_back(static_cast<unsigned>(g_value_get_enum(&array->values[i])));
  if (contains(self->offered_subtypes_, self->options_.subtype)) {
    vnc_connection_set_auth_subtype(conn, self->options_.subtype);
  } else {
    self->errors_.push_back("server did not offer VeNCrypt subtype " +
                            std::to_string(self->options_.subtype));
    vnc_connection_shutdown(conn);
  }
}

void VencryptGvncClient::on_credential(VncConnection *conn, void *creds, void *data) {
  auto *self = static_cast<VencryptGvncClient *>(data);
  auto *array = static_cast<GValueArray *>(creds);
  for (guint i = 0; i < array->n_values; ++i) {
    int kind = g_value_get_enum(&array->values[i]);
    switch (kind) {
      case VNC_CONNECTION_CREDENTIAL_USERNAME:
        vnc_connection_set_credential(conn, kind, self->options_.username.c_str());
        break;
      case VNC_CONNECTION_CREDENTIAL_PASSWORD:
        self->asked_password_ = true;
        vnc_connection_set_credential(conn, kind, self->options_.password.c_str());
        break;
      case VNC_CONNECTION_CREDENTIAL_CLIENTNAME:
        self->asked_client_name_ = true;
        vnc_connection_set_credential(conn, kind, self->options_.client_name.c_str());
        break;
      default:
        self->errors_.push_back("unexpected credential request " + std::to_string(kind));
        vnc_connection_shutdown(conn);
        return;
    }
  }
}

void VencryptGvncClient::on_initialized(VncConnection *conn, void *data) {
  auto *self = static_cast<VencryptGvncClient *>(data);
  self->initialized_ = true;
  self->width_ = vnc_connection_get_width(conn);
  self->height_ = vnc_connection_get_height(conn);
  const char *name = vnc_connection_get_name(conn);
  self->desktop_name_ = name ? name : "";
  if (!vnc_connection_set_pixel_format(conn, &kLocalFormat)) {
    self->errors_.push_back("set_pixel_format failed");
    return;
  }
  gint32 encodings[] = {VNC_CONNECTION_ENCODING_ZRLE, VNC_CONNECTION_ENCODING_HEXTILE,
                        VNC_CONNECTION_ENCODING_RAW, VNC_CONNECTION_ENCODING_DESKTOP_RESIZE};
  gint32 raw_only[] = {VNC_CONNECTION_ENCODING_RAW, VNC_CONNECTION_ENCODING_DESKTOP_RESIZE};
  if (self->options_.raw_encoding)
    vnc_connection_set_encodings(conn, G_N_ELEMENTS(raw_only), raw_only);
  else
    vnc_connection_set_encodings(conn, G_N_ELEMENTS(encodings), encodings);
  self->set_framebuffer();
}

void VencryptGvncClient::on_desktop_resize(VncConnection *, int width, int height, void *data) {
  auto *self = static_cast<VencryptGvncClient *>(data);
  self->width_ = width;
  self->height_ = height;
  if (self->initialized_) self->set_framebuffer();
}

void VencryptGvncClient::on_update(VncConnection *, int x, int y, int w, int h, void *data) {
  auto *self = static_cast<VencryptGvncClient *>(data);
  if (w <= 0 || h <= 0) return;
  if (self->updated_area_ == 0) {
    self->ux0_ = x;
    self->uy0_ = y;
    self->ux1_ = x + w;
    self->uy1_ = y + h;
  } else {
    self->ux0_ = std::min(self->ux0_, x);
    self->uy0_ = std::min(self->uy0_, y);
    self->ux1_ = std::max(self->ux1_, x + w);
    self->uy1_ = std::max(self->uy1_, y + h);
  }
  self->updated_area_ += static_cast<uint64_t>(w) * static_cast<uint64_t>(h);
}

void VencryptGvncClient::on_auth_failure(VncConnection *, const char *reason, void *data) {
  auto *self = static_cast<VencryptGvncClient *>(data);
  self->auth_failed_ = true;
  self->auth_failure_reason_ = reason ? reason : "";
}

void VencryptGvncClient::on_auth_unsupported(VncConnection *, unsigned type, void *data) {
  static_cast<VencryptGvncClient *>(data)->errors_.push_back("auth type unsupported: " +
                                                             std::to_string(type));
}

void VencryptGvncClient::on_error(VncConnection *, const char *message, void *data) {
  static_cast<VencryptGvncClient *>(data)->errors_.push_back(message ? message : "");
}

void VencryptGvncClient::on_disconnected(VncConnection *, void *data) {
  static_cast<VencryptGvncClient *>(data)->disconnected_ = true;
}

}  // namespace vncgate::it::tls
