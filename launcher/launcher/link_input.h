// What the launcher was asked to open, turned into one checked console link.
//
// The argument comes from a browser or a desktop and is hostile input: it is
// parsed by the shared strict parser in common/link, and the viewer is only
// ever handed a link the launcher rebuilt itself (canonical form, no
// password), never the text it was given.
#pragma once

#include <QIODevice>
#include <QString>
#include <optional>

#include "link/console_link.h"

namespace vncgate::launcher {

struct LinkRequest {
  ConsoleLink link;
  QString viewer_url;             // the single argument the viewer gets
  bool password_in_link = false;  // the link carried a password: warn; it is dropped
};

struct LinkInput {
  std::optional<LinkRequest> request;
  QString error;  // why the argument was refused, for the user
};

// arg is one of
//   vncgate://…  vnc://…   a console link
//   -                       a virt-viewer .vv file read from `stdin_device`
//   /path/file.vv, file:/// a .vv file (deleted afterwards if it asks so
//                           with delete-this-file=1, as virt-viewer does)
LinkInput resolve_link_argument(const QString &arg, QIODevice &stdin_device);

// Parses a console link given as text (recent list, link box).
LinkInput resolve_link_text(const QString &text);

// The link handed to the viewer: ConsoleLink::to_url() for links that go
// through the gateway (a console name is set); for plain VNC targets a
// vnc:// URI with user name, ConnectionName, SecurityType and ViewOnly, but
// never a password.
QString canonical_viewer_url(const ConsoleLink &link);

// The same link without its one-time token: what the recent list keeps.
QString reusable_url(const ConsoleLink &link);

// A short name for the user: the title if there is one, else display_name().
QString console_label(const ConsoleLink &link);

}  // namespace vncgate::launcher
