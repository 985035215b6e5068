#include "link/viewer_instance.h"

#include <glib.h>
#ifndef _WIN32
#include <unistd.h>
#endif

namespace vncgate {

#ifdef _WIN32
// %LOCALAPPDATA%\vncgate: per user (the profile's ACL keeps others out) and
// short enough for an AF_UNIX path (108 bytes) with the socket's name.
// Without it, a per-user folder under the temp dir, named by the user.
std::string viewer_runtime_dir() {
  const char *local = g_getenv("LOCALAPPDATA");
  if (local && *local) return std::string(local) + "\\vncgate";
  return std::string(g_get_tmp_dir()) + "\\vncgate-" + g_get_user_name();
}
#else
std::string viewer_runtime_dir() {
  const char *rt = g_getenv("XDG_RUNTIME_DIR");
  std::string base =
      rt && *rt ? rt : std::string(g_get_tmp_dir()) + "/vncgate-" + std::to_string(getuid());
  return base + (rt && *rt ? "/vncgate" : "");
}
#endif

std::string viewer_socket_path(const ConsoleLink &link) {
  gchar *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, link.identity().c_str(), -1);
  std::string name = std::string(h).substr(0, 32);
  g_free(h);
  return viewer_runtime_dir() + G_DIR_SEPARATOR_S "viewer-" + name + ".sock";
}

}  // namespace vncgate
