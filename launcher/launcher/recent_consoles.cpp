#include "recent_consoles.h"

namespace vncgate::launcher {
namespace {

const QString kArray = QStringLiteral("recent");
const QString kUrl = QStringLiteral("url");

void store(QSettings &settings, const QList<RecentConsole> &list) {
  settings.remove(kArray);
  settings.beginWriteArray(kArray, int(list.size()));
  for (int i = 0; i < list.size(); ++i) {
    settings.setArrayIndex(i);
    settings.setValue(kUrl, list[i].url);
  }
  settings.endArray();
  settings.sync();
}

}  // namespace

QList<RecentConsole> load_recent(QSettings &settings) {
  QList<RecentConsole> out;
  const int n = settings.beginReadArray(kArray);
  for (int i = 0; i < n && out.size() < kMaxRecent; ++i) {
    settings.setArrayIndex(i);
    LinkInput in = resolve_link_text(settings.value(kUrl).toString());
    if (!in.request) continue;  // edited by hand into something we refuse
    const ConsoleLink &link = in.request->link;
    out.append(RecentConsole{reusable_url(link), console_label(link),
                             QString::fromStdString(link.identity())});
  }
  settings.endArray();
  return out;
}

void remember_recent(QSettings &settings, const ConsoleLink &opened) {
  ConsoleLink link = opened;
  QList<RecentConsole> list = load_recent(settings);
  const QString identity = QString::fromStdString(link.identity());
  // Opened again without a title (typed, or a bare link): keep the name
  // the list knew it by.
  for (const RecentConsole &r : list) {
    if (r.identity != identity || !link.title.empty()) continue;
    if (LinkInput old = resolve_link_text(r.url); old.request) link.title = old.request->link.title;
  }
  const RecentConsole entry{reusable_url(link), console_label(link), identity};
  list.removeIf([&](const RecentConsole &r) { return r.identity == entry.identity; });
  list.prepend(entry);
  while (list.size() > kMaxRecent) list.removeLast();
  store(settings, list);
}

void forget_recent(QSettings &settings, const QString &url) {
  QList<RecentConsole> list = load_recent(settings);
  list.removeIf([&](const RecentConsole &r) { return r.url == url; });
  store(settings, list);
}

}  // namespace vncgate::launcher
