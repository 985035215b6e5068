#include "i18n.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

namespace vncgate::launcher {

void init_i18n() {
  // VNCGATE_LOCALEDIR: other catalogs than the installed ones (the build
  // tree's, for the i18n tests).
  const QByteArray localedir = qgetenv("VNCGATE_LOCALEDIR");
  ::bindtextdomain(GETTEXT_PACKAGE, localedir.isEmpty() ? LOCALEDIR : localedir.constData());
  ::bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  auto *qt = new QTranslator(QCoreApplication::instance());  // owned by the application
  if (qt->load(QLocale(), QStringLiteral("qtbase"), QStringLiteral("_"),
               QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
    QCoreApplication::installTranslator(qt);
}

}  // namespace vncgate::launcher
