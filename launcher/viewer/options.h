// vncgate-viewer's command line:
//   vncgate-viewer [OPTIONS] LINK          vncgate://, vnc:// or a .vv file
//   vncgate-viewer [OPTIONS] --link-stdin  the link on standard input (one
//                                          line): how the launcher hands it
//                                          over, so no token shows in ps
//   vncgate-viewer [OPTIONS] --host H [--port P] [--console NAME [--token T]]
//   vncgate-viewer --install-ca FILE [--yes]
//   vncgate-viewer --version
// Options given separately are put together into a vncgate:// (or vnc://)
// link and go through the same strict parser as a clicked link.
#pragma once

#include <glib.h>

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "link/console_link.h"

namespace vncgate::viewer {

struct ViewerOptions {
  std::optional<ConsoleLink> link;  // absent for --version / --install-ca
  std::string vv_path;              // the .vv file the link was read from
  std::string ca_file;              // --ca: the CA the user expects gtk-vnc to use
  std::string install_ca;           // --install-ca FILE
  std::string screenshot;           // --screenshot FILE
  std::string title;                // --title
  bool fullscreen = false;
  bool version = false;
  bool yes = false;                 // --yes: no confirmation for --install-ca
  bool non_interactive = false;     // --non-interactive (implied by --screenshot)
  bool no_single_instance = false;  // --no-single-instance (implied by --screenshot)
  bool link_stdin = false;          // --link-stdin: the link was read from standard input
  bool report_state = false;        // --report-state: write link/viewer_report.h lines
};

struct ArgsResult {
  std::optional<ViewerOptions> options;
  std::string error;      // when !options: what was wrong (for stderr)
  bool bad_link = false;  // the error is about the link, not the options
};

// Longest line --link-stdin reads (links are at most 2048 bytes).
inline constexpr size_t kMaxStdinLink = 4096;

// args[0] is the program name. `extra` (e.g. GTK's option group) is added
// to the parser and owned by it afterwards; may be null. `link_input` is
// read (one line, at most kMaxStdinLink bytes) only for --link-stdin; null
// means std::cin.
ArgsResult parse_viewer_args(const std::vector<std::string> &args, GOptionGroup *extra = nullptr,
                             std::istream *link_input = nullptr);

// The first line of `in` (without "\n" or "\r\n"); nullopt when it is longer
// than kMaxStdinLink bytes.
std::optional<std::string> read_link_line(std::istream &in);

// Builds "vncgate://HOST:PORT/console/NAME?token=T" (or "vnc://HOST:PORT"
// without a console) from separate options; empty with `error` when a part
// cannot be part of a link at all.
std::string link_from_parts(const std::string &host, int port, const std::string &console,
                            const std::string &token, std::string &error);

}  // namespace vncgate::viewer
