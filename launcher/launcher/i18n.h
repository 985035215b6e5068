// User-visible strings of the launcher go through gettext, domain "vncgate",
// like the daemon's and the viewer's: one set of catalogs in po/ for every
// program, instead of a second (Qt .ts/.qm) translation system.
//   _("text")   translated QString
//   N_("text")  marks a string for xgettext only
// Qt's own strings (standard dialog buttons) come from Qt's translations,
// loaded by init_i18n().
#pragma once

#include <libintl.h>

#include <QString>

namespace vncgate::launcher {

inline QString translated(const char *msgid) {
  return QString::fromUtf8(::dgettext(GETTEXT_PACKAGE, msgid));
}

// Binds the gettext domain to LOCALEDIR (UTF-8) and installs Qt's own
// translations into the application. Call after the Q*Application exists.
void init_i18n();

}  // namespace vncgate::launcher

#define _(msgid) ::vncgate::launcher::translated(msgid)
#define N_(msgid) msgid
