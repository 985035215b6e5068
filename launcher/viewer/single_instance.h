// One viewer per console. Each viewer listens on viewer_socket_path(link)
// (common/link/viewer_instance.h: a per-user runtime directory, the name a
// hash of the console's identity). A second viewer (or the launcher) for
// the same console connects there and sends "raise\n"; the running viewer
// presents its window and answers "ok\n".
#pragma once

#include <gio/gio.h>

#include <functional>
#include <string>

#include "link/console_link.h"

namespace vncgate::viewer {

class SingleInstance {
 public:
  enum class Claim {
    Owner,        // we listen now: we are the viewer for this console
    OtherRaised,  // a live viewer was there and was asked to raise
    Unavailable,  // the runtime directory is unusable: run without
  };

  explicit SingleInstance(std::function<void()> on_raise) : on_raise_(std::move(on_raise)) {}
  ~SingleInstance();
  SingleInstance(const SingleInstance &) = delete;
  SingleInstance &operator=(const SingleInstance &) = delete;

  Claim claim(const ConsoleLink &link, std::string &detail);
  const std::string &path() const { return path_; }

 private:
  static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *src,
                              gpointer self);
  bool listen(std::string &detail, bool &in_use);

  std::function<void()> on_raise_;
  std::string path_;
  GSocketService *service_ = nullptr;
  bool own_path_ = false;
};

// Sends "raise\n" to the viewer listening at `path`; true when one listened.
bool send_raise(const std::string &path);

// The runtime directory exists, is ours and private (0700), or is made so.
bool prepare_runtime_dir(const std::string &dir, std::string &detail);

}  // namespace vncgate::viewer
