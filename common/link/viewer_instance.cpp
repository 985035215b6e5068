#include "link/viewer_instance.h"

#include <glib.h>
#include <unistd.h>

namespace vncgate {

std::string viewer_runtime_dir() {
  const char *rt = g_getenv("XDG_RUNTIME_DIR");
  std::string base = rt && *rt ? rt : std::string(g_get_tmp_dir()) + "/vncgate-" + std::to_string(getuid());
  return base + (rt && *rt ? "/vncgate" : "");
}

std::string viewer_socket_path(const ConsoleLink &link) {
  gchar *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, link.identity().c_str(), -1);
  std::string name = std::string(h).substr(0, 32);
  g_free(h);
  return viewer_runtime_dir() + "/viewer-" + name + ".sock";
}

}  // namespace vncgate
