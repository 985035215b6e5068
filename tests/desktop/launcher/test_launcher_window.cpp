// The launcher's window under QT_QPA_PLATFORM=offscreen: recent consoles,
// settings, opening a console from the list (with the fake viewer), and
// screenshots saved for people to look at:
//   <build>/tests/desktop/launcher/launcher-window.png        after opening one
//   <build>/tests/desktop/launcher/launcher-window-error.png  a viewer that failed
#include <signal.h>

#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "link_input.h"
#include "main_window.h"
#include "recent_consoles.h"

using namespace vncgate::launcher;

class LauncherWindowTest : public QObject {
  Q_OBJECT

 public:
  explicit LauncherWindowTest(QString dir) : dir_(std::move(dir)) {}

 private Q_SLOTS:
  void initTestCase();
  void cleanupTestCase();
  void showsRecentConsolesWithoutTokens();
  void settingsArePersisted();
  void openingFromTheListStartsTheViewer();
  void failureIsShownInTheWindow();

 private:
  void save_screenshot(QWidget &w, const char *name);
  QStringList started_pids() const;

  QString dir_;
};

void LauncherWindowTest::initTestCase() {
  QCOMPARE(QGuiApplication::platformName(), QStringLiteral("offscreen"));
  QVERIFY(QFileInfo(qEnvironmentVariable("VNCGATE_VIEWER")).isExecutable());
  QSettings settings;
  remember_recent(
      settings,
      resolve_link_text(QStringLiteral("vncgate://gw.example/console/db-2?title=Database%202"))
          .request->link);
  remember_recent(
      settings,
      resolve_link_text(
          QStringLiteral(
              "vncgate://gw.example/console/web-1?token=abcdefghijklmnop1234&title=Web%20server"))
          .request->link);
  remember_recent(settings,
                  resolve_link_text(QStringLiteral("vnc://lab.example:5905")).request->link);
}

void LauncherWindowTest::cleanupTestCase() {
  for (const QString &pid : started_pids()) ::kill(pid.toInt(), SIGTERM);
}

QStringList LauncherWindowTest::started_pids() const {
  QStringList pids;
  QFile f(qEnvironmentVariable("FAKE_VIEWER_RECORD"));
  if (!f.open(QIODevice::ReadOnly)) return pids;
  for (const QByteArray &line : f.readAll().split('\n'))
    if (line.startsWith("start\t")) pids << QString::fromLatin1(line.split('\t').value(1));
  return pids;
}

void LauncherWindowTest::save_screenshot(QWidget &w, const char *name) {
  const QString dir = qEnvironmentVariable("VNCGATE_SCREENSHOT_DIR", dir_);
  const QString path = dir + QLatin1Char('/') + QLatin1String(name);
  QTest::qWait(50);  // let the layout follow the status text
  const QPixmap shot = w.grab();
  QVERIFY(!shot.isNull());
  QVERIFY2(shot.save(path), qPrintable(path));
  qInfo("screenshot: %s", qPrintable(path));
}

void LauncherWindowTest::showsRecentConsolesWithoutTokens() {
  MainWindow w;
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  auto *list = w.findChild<QListWidget *>();
  QVERIFY(list);
  QCOMPARE(list->count(), 3);
  QCOMPARE(list->item(0)->text(), QStringLiteral("vnc://lab.example:5905"));
  QCOMPARE(list->item(1)->text(), QStringLiteral("Web server"));
  QCOMPARE(list->item(2)->text(), QStringLiteral("Database 2"));
  QVERIFY(!list->item(1)->data(Qt::UserRole).toString().contains(QStringLiteral("token")));
}

void LauncherWindowTest::settingsArePersisted() {
  {
    MainWindow w;
    auto *viewer = w.findChild<QComboBox *>();
    QVERIFY(viewer);
    QCOMPARE(viewer->currentData().toString(), QStringLiteral("vncgate-viewer"));
    viewer->setCurrentIndex(1);
  }
  QSettings settings;
  QCOMPARE(settings.value(QStringLiteral("viewer/program")).toString(),
           QStringLiteral("remote-viewer"));
  settings.setValue(QStringLiteral("viewer/program"), QStringLiteral("vncgate-viewer"));
  settings.sync();
}

void LauncherWindowTest::openingFromTheListStartsTheViewer() {
  qputenv("FAKE_VIEWER_MODE", "listen");
  MainWindow w;
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  auto *list = w.findChild<QListWidget *>();
  list->setCurrentRow(1);  // Web server
  QSignalSpy done(&w, &MainWindow::launchFinished);
  auto *open = w.findChild<QPushButton *>(QStringLiteral("openRecent"));
  QVERIFY(open);
  QTest::mouseClick(open, Qt::LeftButton);
  QVERIFY(w.launching());
  QVERIFY(done.wait(10000));
  QVERIFY2(w.status_text().contains(QStringLiteral("Opened Web server")),
           qPrintable(w.status_text()));
  QCOMPARE(started_pids().size(), 1);
  QCOMPARE(list->item(0)->text(), QStringLiteral("Web server"));  // moved to the top
  save_screenshot(w, "launcher-window.png");

  // Same console again: raised, not started twice.
  w.open_text(QStringLiteral("vncgate://gw.example/console/web-1"));
  if (w.launching()) QVERIFY(done.wait(10000));
  QVERIFY2(w.status_text().contains(QStringLiteral("already open")), qPrintable(w.status_text()));
  QCOMPARE(started_pids().size(), 1);
  QCOMPARE(list->item(0)->text(), QStringLiteral("Web server"));  // keeps its name
}

void LauncherWindowTest::failureIsShownInTheWindow() {
  qputenv("FAKE_VIEWER_MODE", "fail");
  MainWindow w;
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  QSignalSpy done(&w, &MainWindow::launchFinished);
  w.open_text(QStringLiteral("vncgate://gw.example/console/db-2"));
  if (w.launching()) QVERIFY(done.wait(10000));
  const QString status = w.status_text();
  QVERIFY2(status.contains(QStringLiteral("Could not open vncgate://gw.example:5901/console/db-2")),
           qPrintable(status));
  QVERIFY2(status.contains(QStringLiteral("Login failed")), qPrintable(status));
  save_screenshot(w, "launcher-window-error.png");
  // A refused link is explained without starting anything.
  const int before = int(started_pids().size());
  w.open_text(QStringLiteral("vncgate://-evil/console/x"));
  QVERIFY(w.status_text().contains(QStringLiteral("invalid host")));
  QCOMPARE(started_pids().size(), before);
}

int main(int argc, char **argv) {
  // A private configuration and runtime tree before Qt reads any of it.
  QTemporaryDir dir(QStringLiteral("/tmp/vglw-XXXXXX"));
  if (!dir.isValid()) return 1;
  const QString rt = dir.filePath(QStringLiteral("rt"));
  QDir().mkpath(rt);
  QFile::setPermissions(rt, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
  qputenv("XDG_RUNTIME_DIR", rt.toLocal8Bit());
  qputenv("XDG_CONFIG_HOME", dir.filePath(QStringLiteral("config")).toLocal8Bit());
  qputenv("XDG_DATA_HOME", dir.filePath(QStringLiteral("data")).toLocal8Bit());
  qputenv("XDG_DATA_DIRS", dir.filePath(QStringLiteral("sys")).toLocal8Bit());
  qputenv("FAKE_VIEWER_RECORD", dir.filePath(QStringLiteral("record")).toLocal8Bit());
  qputenv("VNCGATE_LAUNCH_GRACE_MS", "800");
  if (qEnvironmentVariableIsEmpty("VNCGATE_VIEWER"))
    qputenv("VNCGATE_VIEWER", qgetenv("VNCGATE_TEST_FAKE_VIEWER"));
  QApplication app(argc, argv);
  QCoreApplication::setOrganizationName(QStringLiteral("vncgate"));
  QCoreApplication::setApplicationName(QStringLiteral("vncgate-launcher"));
  LauncherWindowTest test(dir.path());
  return QTest::qExec(&test, argc, argv);
}

#include "test_launcher_window.moc"
