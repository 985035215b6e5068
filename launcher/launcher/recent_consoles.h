// Consoles opened before, newest first, in the launcher's QSettings
// (array "recent", at most kMaxRecent). Each entry keeps the link without
// its one-time token and without any password: opening it again goes through
// the gateway's normal login. Entries are parsed again when read, like any
// other link.
#pragma once

#include <QList>
#include <QSettings>
#include <QString>

#include "link_input.h"

namespace vncgate::launcher {

struct RecentConsole {
  QString url;       // reusable_url(): no token, no password
  QString label;     // title or display name
  QString identity;  // ConsoleLink::identity(): one entry per console
};

inline constexpr int kMaxRecent = 10;

QList<RecentConsole> load_recent(QSettings &settings);
void remember_recent(QSettings &settings, const ConsoleLink &opened);
void forget_recent(QSettings &settings, const QString &url);

}  // namespace vncgate::launcher
