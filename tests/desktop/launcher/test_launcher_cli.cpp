// vncgate-launcher as a browser runs it: one argument, no terminal. The
// viewer is tests/desktop/launcher/fake_viewer (through VNCGATE_VIEWER),
// which records its argument vector and the "raise" requests it gets on
// the per-console socket. Everything runs in a private HOME/XDG tree under a
// short temporary directory (socket paths must stay short).
#include <signal.h>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "link/console_link.h"
#include "link/viewer_instance.h"

namespace {

struct Run {
  int code = -1;
  QString out;
  QString err;
};

struct Event {
  QString what;
  qint64 pid = 0;
  QStringList args;
};

}  // namespace

class LauncherCliTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase();
  void init();
  void cleanup();
  void hostileLinksAreRefused_data();
  void hostileLinksAreRefused();
  void hostileVvFilesAreRefused_data();
  void hostileVvFilesAreRefused();
  void noGuiWithoutDisplay();
  void goodLinkStartsViewerWithOneArgument();
  void sameConsoleRaisesOtherConsoleStarts();
  void doubleClickStartsOneViewer();
  void vvFromStdinStartsViewer();
  void vvFileIsDeletedWhenItAsks();
  void passwordIsWarnedAboutAndNeverPassed();
  void viewerFailureShowsReasonAndLastLine();
  void viewerCrashIsReported();
  void tokenIsNotInTheViewersCommandLine();
  void tokenIsHiddenInTheLaunchersCommandLine();
  void reportedConnectionEndsTheWaitAtOnce();
  void reportedFailureIsTheLaunchersError();
  void missingViewerIsReported();
  void registerMakesLauncherTheHandler();
  void dialogsUnderXvfb();
  void realViewerAcceptsTheLink();

 private:
  Run launch(const QStringList &args, const QByteArray &input = {},
             const QProcessEnvironment &env = {});
  QList<Event> events() const;
  QList<Event> events(const QString &what) const;
  // The link the viewer `start` read from its standard input.
  QString stdin_link(const Event &start) const;
  // The viewer's argument vector holds no link: only options.
  static bool options_only(const Event &start);

  QTemporaryDir dir_{QStringLiteral("/tmp/vgl-XXXXXX")};
  QString launcher_;
  QString record_;
  QProcessEnvironment env_;
};

void LauncherCliTest::initTestCase() {
  QVERIFY(dir_.isValid());
  launcher_ = qEnvironmentVariable("VNCGATE_TEST_LAUNCHER");
  const QString fake = qEnvironmentVariable("VNCGATE_TEST_FAKE_VIEWER");
  QVERIFY2(QFileInfo(launcher_).isExecutable(), "VNCGATE_TEST_LAUNCHER");
  QVERIFY2(QFileInfo(fake).isExecutable(), "VNCGATE_TEST_FAKE_VIEWER");
  record_ = dir_.filePath(QStringLiteral("record"));
  const QString rt = dir_.filePath(QStringLiteral("rt"));
  QVERIFY(QDir().mkpath(rt));
  QFile::setPermissions(rt, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
  env_ = QProcessEnvironment::systemEnvironment();
  env_.insert(QStringLiteral("HOME"), dir_.filePath(QStringLiteral("home")));
  env_.insert(QStringLiteral("XDG_RUNTIME_DIR"), rt);
  env_.insert(QStringLiteral("XDG_CONFIG_HOME"), dir_.filePath(QStringLiteral("config")));
  env_.insert(QStringLiteral("XDG_DATA_HOME"), dir_.filePath(QStringLiteral("data")));
  env_.insert(QStringLiteral("XDG_DATA_DIRS"), dir_.filePath(QStringLiteral("sys")));
  env_.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
  env_.insert(QStringLiteral("VNCGATE_VIEWER"), fake);
  env_.insert(QStringLiteral("VNCGATE_LAUNCH_GRACE_MS"), QStringLiteral("1000"));
  env_.insert(QStringLiteral("FAKE_VIEWER_RECORD"), record_);
  for (const char *desktop : {"XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION",
                              "GNOME_DESKTOP_SESSION_ID", "XDG_SESSION_DESKTOP"})
    env_.remove(QString::fromLatin1(desktop));
  // This test's own QLocalSocket/viewer_socket_path() use the same tree.
  qputenv("XDG_RUNTIME_DIR", rt.toLocal8Bit());
}

void LauncherCliTest::init() {
  QFile::remove(record_);
}

void LauncherCliTest::cleanup() {
  for (const Event &e : events(QStringLiteral("start"))) ::kill(pid_t(e.pid), SIGTERM);
}

Run LauncherCliTest::launch(const QStringList &args, const QByteArray &input,
                            const QProcessEnvironment &env) {
  QProcess p;
  p.setProcessEnvironment(env.isEmpty() ? env_ : env);
  p.start(launcher_, args);
  Run r;
  if (!p.waitForStarted(5000)) return r;
  if (!input.isNull()) p.write(input);
  p.closeWriteChannel();
  if (!p.waitForFinished(15000)) {
    p.kill();
    p.waitForFinished();
    return r;
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

QList<Event> LauncherCliTest::events() const {
  QList<Event> out;
  QFile f(record_);
  if (!f.open(QIODevice::ReadOnly)) return out;
  for (const QByteArray &line : f.readAll().split('\n')) {
    if (line.isEmpty()) continue;
    QStringList fields = QString::fromUtf8(line).split(QLatin1Char('\t'));
    Event e;
    e.what = fields.takeFirst();
    e.pid = fields.isEmpty() ? 0 : fields.takeFirst().toLongLong();
    e.args = fields;
    out.append(e);
  }
  return out;
}

QList<Event> LauncherCliTest::events(const QString &what) const {
  QList<Event> out;
  for (const Event &e : events())
    if (e.what == what) out.append(e);
  return out;
}

QString LauncherCliTest::stdin_link(const Event &start) const {
  for (const Event &e : events(QStringLiteral("stdin")))
    if (e.pid == start.pid) return e.args.value(0);
  return {};
}

bool LauncherCliTest::options_only(const Event &start) {
  for (const QString &a : start.args)
    if (!a.startsWith(QStringLiteral("--")) || a.contains(QStringLiteral("://"))) return false;
  return start.args.contains(QStringLiteral("--link-stdin"));
}

void LauncherCliTest::hostileLinksAreRefused_data() {
  QTest::addColumn<QString>("link");
  QTest::addColumn<QString>("reason");
  QTest::newRow("option-like host")
      << QStringLiteral("vncgate://-oProxyCommand=x/console/a") << QStringLiteral("invalid host");
  QTest::newRow("option") << QStringLiteral("--help") << QStringLiteral("command-line option");
  QTest::newRow("other scheme") << QStringLiteral("http://evil.example/console/a")
                                << QStringLiteral("unsupported link type 'http'");
  QTest::newRow("file scheme elsewhere")
      << QStringLiteral("file://evil.example/x.vv") << QStringLiteral("Only local .vv files");
  QTest::newRow("port") << QStringLiteral("vncgate://gw.example:99999/console/a")
                        << QStringLiteral("out of range");
  QTest::newRow("console path") << QStringLiteral("vncgate://gw.example/console/a/../../b")
                                << QStringLiteral("console");
  QTest::newRow("no console") << QStringLiteral("vncgate://gw.example/")
                              << QStringLiteral("/console/NAME");
  QTest::newRow("shell in token")
      << QStringLiteral("vncgate://gw.example/console/a?token=$(reboot)abcdefghijklmnop")
      << QStringLiteral("invalid token");
  QTest::newRow("space") << QStringLiteral("vncgate://gw.example/console/a b")
                         << QStringLiteral("space, control");
  QTest::newRow("control") << QStringLiteral("vncgate://gw.example/console/a\x01")
                           << QStringLiteral("space, control");
  QTest::newRow("unknown parameter") << QStringLiteral("vncgate://gw.example/console/a?exec=x")
                                     << QStringLiteral("unknown link parameter 'exec'");
  QTest::newRow("tls") << QStringLiteral("vncgate://gw.example/console/a?tls=off")
                       << QStringLiteral("tls must be");
  QTest::newRow("duplicate") << QStringLiteral("vnc://gw.example?ViewOnly=1&ViewOnly=0")
                             << QStringLiteral("appears twice");
  QTest::newRow("fragment") << QStringLiteral("vncgate://gw.example/console/a#x")
                            << QStringLiteral("fragment");
  QTest::newRow("too long") << QStringLiteral("vncgate://gw.example/console/") +
                                   QString(3000, QLatin1Char('a'))
                            << QStringLiteral("longer than 2048");
  QTest::newRow("user in vncgate link")
      << QStringLiteral("vncgate://root@gw.example/console/a") << QStringLiteral("no user name");
  QTest::newRow("missing file") << dir_.filePath(QStringLiteral("nothing.vv"))
                                << QStringLiteral("There is no file");
}

void LauncherCliTest::hostileLinksAreRefused() {
  QFETCH(QString, link);
  QFETCH(QString, reason);
  const Run r = launch({QStringLiteral("--"), link});
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.contains(reason), qPrintable(r.err));
  QVERIFY(events().isEmpty());  // no viewer started
}

void LauncherCliTest::hostileVvFilesAreRefused_data() {
  QTest::addColumn<QByteArray>("vv");
  QTest::addColumn<QString>("reason");
  QTest::newRow("spice") << QByteArray("[virt-viewer]\ntype=spice\nhost=h\nport=5900\n")
                         << QStringLiteral("not of type vnc");
  QTest::newRow("option host") << QByteArray("[virt-viewer]\ntype=vnc\nhost=-oX\nport=5900\n")
                               << QStringLiteral("invalid or missing host");
  QTest::newRow("console") << QByteArray(
                                  "[virt-viewer]\ntype=vnc\nhost=h\nport=1\n"
                                  "vncgate-console=../etc\n")
                           << QStringLiteral("invalid vncgate-console");
  QTest::newRow("not ini") << QByteArray("#!/bin/sh\nrm -rf ~\n")
                           << QStringLiteral("not a valid .vv file");
  QTest::newRow("huge") << QByteArray(70000, 'x') << QStringLiteral("larger than 64 KiB");
}

void LauncherCliTest::hostileVvFilesAreRefused() {
  QFETCH(QByteArray, vv);
  QFETCH(QString, reason);
  const Run r = launch({QStringLiteral("-")}, vv);
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.contains(reason), qPrintable(r.err));
  QVERIFY(events().isEmpty());
}

void LauncherCliTest::noGuiWithoutDisplay() {
  QProcessEnvironment env = env_;
  for (const char *v : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"})
    env.remove(QString::fromLatin1(v));
  const Run r = launch({QStringLiteral("--no-gui"), QStringLiteral("vnc://-x")}, {}, env);
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.contains(QStringLiteral("invalid host")), qPrintable(r.err));
  const Run usage = launch({}, {}, env);  // the window needs a display
  QCOMPARE(usage.code, 2);
  QVERIFY(events().isEmpty());
}

void LauncherCliTest::goodLinkStartsViewerWithOneArgument() {
  const QString link = QStringLiteral(
      "vncgate://gw.example:5999/console/lpar-7?title=Web%20server&token=abcdefghijklmnop1234");
  const Run r = launch({QStringLiteral("--"), link});
  QVERIFY2(r.code == 0, qPrintable(r.err));
  const QList<Event> starts = events(QStringLiteral("start"));
  QCOMPARE(starts.size(), 1);
  // The canonical form from ConsoleLink::to_url(), as the only argument.
  const auto parsed = vncgate::parse_console_link(link.toStdString());
  QVERIFY(parsed.link);
  QVERIFY2(options_only(starts[0]), qPrintable(starts[0].args.join(QLatin1Char(' '))));
  QCOMPARE(stdin_link(starts[0]), QString::fromStdString(parsed.link->to_url()));
  QTRY_COMPARE_WITH_TIMEOUT(events(QStringLiteral("listening")).size(), 1, 5000);
  // The launcher remembers the console without its one-time token.
  QFile conf(dir_.filePath(QStringLiteral("config/vncgate/vncgate-launcher.conf")));
  QVERIFY(conf.open(QIODevice::ReadOnly));
  const QByteArray stored = conf.readAll();
  QVERIFY2(stored.contains("lpar-7"), stored.constData());
  QVERIFY(!stored.contains("abcdefghijklmnop1234"));
}

void LauncherCliTest::sameConsoleRaisesOtherConsoleStarts() {
  const QString a = QStringLiteral("vncgate://gw.example/console/a?token=abcdefghijklmnop1111");
  QCOMPARE(launch({a}).code, 0);
  QTRY_COMPARE_WITH_TIMEOUT(events(QStringLiteral("listening")).size(), 1, 5000);
  // Same console, another token and title: the running viewer is raised.
  const Run again = launch(
      {QStringLiteral("vncgate://GW.example:5901/console/a?token=abcdefghijklmnop2222&title=x")});
  QVERIFY2(again.code == 0, qPrintable(again.err));
  QCOMPARE(events(QStringLiteral("start")).size(), 1);
  QTRY_COMPARE(events(QStringLiteral("raise")).size(), 1);
  QCOMPARE(events(QStringLiteral("raise"))[0].pid, events(QStringLiteral("start"))[0].pid);
  // Another console: a second viewer.
  QCOMPARE(launch({QStringLiteral("vncgate://gw.example/console/b")}).code, 0);
  QCOMPARE(events(QStringLiteral("start")).size(), 2);
  QTRY_COMPARE_WITH_TIMEOUT(events(QStringLiteral("listening")).size(), 2, 5000);
  QCOMPARE(events(QStringLiteral("raise")).size(), 1);
}

void LauncherCliTest::doubleClickStartsOneViewer() {
  // Two launches at once for a slow viewer (listening only after the
  // launcher's 1 s grace): the per-console lock makes the second wait for
  // the first viewer's socket and raise it.
  QProcessEnvironment env = env_;
  env.insert(QStringLiteral("FAKE_VIEWER_MODE"), QStringLiteral("listen-late"));
  env.insert(QStringLiteral("FAKE_VIEWER_LISTEN_DELAY_MS"), QStringLiteral("2500"));
  const QStringList args{QStringLiteral("vncgate://gw.example/console/dbl")};
  QProcess first, second;
  for (QProcess *p : {&first, &second}) {
    p->setProcessEnvironment(env);
    p->start(launcher_, args);
  }
  QVERIFY(first.waitForFinished(15000));
  QVERIFY(second.waitForFinished(15000));
  QCOMPARE(first.exitCode(), 0);
  QCOMPARE(second.exitCode(), 0);
  QCOMPARE(events(QStringLiteral("start")).size(), 1);
  QTRY_COMPARE(events(QStringLiteral("raise")).size(), 1);
}

void LauncherCliTest::vvFromStdinStartsViewer() {
  const QByteArray vv =
      "[virt-viewer]\ntype=vnc\nhost=gw.example\nport=5901\ntitle=From stdin\n"
      "vncgate-console=lpar-9\nvncgate-token=abcdefghijklmnop9999\nvncgate-tls=x509\n";
  const Run r = launch({QStringLiteral("-")}, vv);
  QVERIFY2(r.code == 0, qPrintable(r.err));
  const QList<Event> starts = events(QStringLiteral("start"));
  QCOMPARE(starts.size(), 1);
  QVERIFY(options_only(starts[0]));
  QCOMPARE(stdin_link(starts[0]),
           QStringLiteral("vncgate://gw.example:5901/console/lpar-9"
                          "?token=abcdefghijklmnop9999&tls=x509&title=From%20stdin"));
  // A plain VNC target from a .vv file becomes a vnc:// link.
  const Run plain = launch({QStringLiteral("-")},
                           "[virt-viewer]\ntype=vnc\nhost=10.1.2.3\nport=5905\ntitle=Lab\n");
  QVERIFY2(plain.code == 0, qPrintable(plain.err));
  QCOMPARE(stdin_link(events(QStringLiteral("start")).last()),
           QStringLiteral("vnc://10.1.2.3:5905?ConnectionName=Lab"));
}

void LauncherCliTest::vvFileIsDeletedWhenItAsks() {
  const QString path = dir_.filePath(QStringLiteral("console.vv"));
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(
      "[virt-viewer]\ntype=vnc\nhost=gw.example\nport=5901\nvncgate-console=del\n"
      "delete-this-file=1\n");
  f.close();
  const Run r = launch({QUrl::fromLocalFile(path).toString()});
  QVERIFY2(r.code == 0, qPrintable(r.err));
  QVERIFY(!QFile::exists(path));
  QCOMPARE(events(QStringLiteral("start")).size(), 1);
  QCOMPARE(stdin_link(events(QStringLiteral("start"))[0]),
           QStringLiteral("vncgate://gw.example:5901/console/del"));
}

void LauncherCliTest::passwordIsWarnedAboutAndNeverPassed() {
  const Run r = launch({QStringLiteral("vnc://bob:s3cret@gw.example:5902?ViewOnly=true")});
  QVERIFY2(r.code == 0, qPrintable(r.err));
  QVERIFY2(r.err.contains(QStringLiteral("contains a password")), qPrintable(r.err));
  const QList<Event> starts = events(QStringLiteral("start"));
  QCOMPARE(starts.size(), 1);
  QCOMPARE(stdin_link(starts[0]), QStringLiteral("vnc://bob@gw.example:5902?ViewOnly=true"));
  const Run query = launch({QStringLiteral("vnc://gw.example:5903?VncPassword=s3cret")});
  QCOMPARE(query.code, 0);
  QVERIFY(query.err.contains(QStringLiteral("contains a password")));
  QCOMPARE(stdin_link(events(QStringLiteral("start")).last()),
           QStringLiteral("vnc://gw.example:5903"));
  QFile conf(dir_.filePath(QStringLiteral("config/vncgate/vncgate-launcher.conf")));
  QVERIFY(conf.open(QIODevice::ReadOnly));
  QVERIFY(!conf.readAll().contains("s3cret"));
}

void LauncherCliTest::viewerFailureShowsReasonAndLastLine() {
  QProcessEnvironment env = env_;
  env.insert(QStringLiteral("FAKE_VIEWER_MODE"), QStringLiteral("fail"));
  QElapsedTimer t;
  t.start();
  const Run r = launch({QStringLiteral("vncgate://gw.example/console/f")}, {}, env);
  QCOMPARE(r.code, 1);
  QVERIFY2(r.err.contains(QStringLiteral("could not open the console")), qPrintable(r.err));
  QVERIFY2(
      r.err.contains(QStringLiteral("Login failed: the user name or password was not accepted")),
      qPrintable(r.err));
  QVERIFY2(!r.err.contains(QStringLiteral("connecting to gw.example")), qPrintable(r.err));
  QVERIFY(t.elapsed() < 1000 + 3000);  // no need to wait for the whole grace period
}

void LauncherCliTest::viewerCrashIsReported() {
  QProcessEnvironment env = env_;
  env.insert(QStringLiteral("FAKE_VIEWER_MODE"), QStringLiteral("crash"));
  const Run r = launch({QStringLiteral("vncgate://gw.example/console/c")}, {}, env);
  QCOMPARE(r.code, 1);
  QVERIFY2(r.err.contains(QStringLiteral("crashed (signal 6")), qPrintable(r.err));
  QVERIFY2(r.err.contains(QStringLiteral("about to crash")), qPrintable(r.err));
}

// Any local user can read /proc/PID/cmdline (ps): the token is not there.
void LauncherCliTest::tokenIsNotInTheViewersCommandLine() {
  const QByteArray token = "abcdefghijklmnop5555";
  const Run r = launch(
      {QStringLiteral("vncgate://gw.example/console/ps?token=") + QString::fromLatin1(token)});
  QVERIFY2(r.code == 0, qPrintable(r.err));
  const QList<Event> starts = events(QStringLiteral("start"));
  QCOMPARE(starts.size(), 1);
  QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(starts[0].pid));
  QVERIFY2(cmdline.open(QIODevice::ReadOnly), "the viewer is not running");
  const QByteArray args = cmdline.readAll();
  QVERIFY2(args.contains("--link-stdin"), args.constData());
  QVERIFY2(!args.contains(token) && !args.contains("vncgate://"), args.constData());
  QVERIFY(stdin_link(starts[0]).contains(QString::fromLatin1(token)));
}

// The browser puts the token into the launcher's own argv: while the
// launcher waits for its viewer, the process list shows it masked.
void LauncherCliTest::tokenIsHiddenInTheLaunchersCommandLine() {
  QProcessEnvironment env = env_;
  env.insert(QStringLiteral("VNCGATE_LAUNCH_GRACE_MS"), QStringLiteral("5000"));
  QProcess p;
  p.setProcessEnvironment(env);
  p.start(launcher_,
          {QStringLiteral("vncgate://gw.example/console/ps2?token=abcdefghijklmnop6666")});
  QVERIFY(p.waitForStarted(5000));
  // The viewer was started: the launcher has parsed its arguments and now waits.
  QTRY_COMPARE_WITH_TIMEOUT(events(QStringLiteral("start")).size(), 1, 5000);
  QCOMPARE(p.state(), QProcess::Running);
  QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(p.processId()));
  QVERIFY(cmdline.open(QIODevice::ReadOnly));
  const QByteArray args = cmdline.readAll();
  QVERIFY2(args.contains("/console/ps2?token=****"), args.constData());
  QVERIFY2(!args.contains("abcdefghijklmnop6666"), args.constData());
  QVERIFY(p.waitForFinished(15000));
  QCOMPARE(p.exitCode(), 0);
  QVERIFY(stdin_link(events(QStringLiteral("start"))[0])
              .contains(QStringLiteral("abcdefghijklmnop6666")));
}

// A viewer that says it connected ends the launcher's wait at once, long
// before the (here 20 s) bound.
void LauncherCliTest::reportedConnectionEndsTheWaitAtOnce() {
  QProcessEnvironment env = env_;
  env.insert(QStringLiteral("FAKE_VIEWER_MODE"), QStringLiteral("report-connected"));
  env.insert(QStringLiteral("VNCGATE_LAUNCH_GRACE_MS"), QStringLiteral("20000"));
  QElapsedTimer t;
  t.start();
  const Run r = launch({QStringLiteral("vncgate://gw.example/console/quick")}, {}, env);
  QVERIFY2(r.code == 0, qPrintable(r.err));
  QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
  QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
}

// A viewer that could not open the console (and still shows its own
// dialog) makes the launcher exit 1 with the viewer's sentence.
void LauncherCliTest::reportedFailureIsTheLaunchersError() {
  QProcessEnvironment env = env_;
  env.insert(QStringLiteral("FAKE_VIEWER_MODE"), QStringLiteral("report-failed"));
  env.insert(QStringLiteral("FAKE_VIEWER_REASON"),
             QStringLiteral("This console link has already been used or has expired. (HTTP 404)"));
  env.insert(QStringLiteral("VNCGATE_LAUNCH_GRACE_MS"), QStringLiteral("20000"));
  QElapsedTimer t;
  t.start();
  const Run r = launch(
      {QStringLiteral("--no-gui"), QStringLiteral("vncgate://gw.example/console/used")}, {}, env);
  QCOMPARE(r.code, 1);
  QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
  QVERIFY2(r.err.contains(QStringLiteral("could not open the console")), qPrintable(r.err));
  QVERIFY2(r.err.contains(QStringLiteral("already been used or has expired. (HTTP 404)")),
           qPrintable(r.err));
  QVERIFY2(!r.err.contains(QStringLiteral("some progress")), qPrintable(r.err));
}

void LauncherCliTest::missingViewerIsReported() {
  QProcessEnvironment env = env_;
  env.insert(QStringLiteral("VNCGATE_VIEWER"), dir_.filePath(QStringLiteral("no-such-viewer")));
  const Run r = launch({QStringLiteral("vncgate://gw.example/console/m")}, {}, env);
  QCOMPARE(r.code, 1);
  QVERIFY2(r.err.contains(QStringLiteral("vncgate-viewer is not installed")), qPrintable(r.err));
}

void LauncherCliTest::registerMakesLauncherTheHandler() {
  const QString xdg_mime = QStandardPaths::findExecutable(QStringLiteral("xdg-mime"));
  if (xdg_mime.isEmpty()) QSKIP("xdg-mime (xdg-utils) is not installed");
  auto query = [&](const QString &type) {
    QProcess p;
    p.setProcessEnvironment(env_);
    p.start(xdg_mime, {QStringLiteral("query"), QStringLiteral("default"), type});
    p.waitForFinished(10000);
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
  };
  const Run r = launch({QStringLiteral("--register")});
  QVERIFY2(r.code == 0, qPrintable(r.err));
  for (const char *type :
       {"x-scheme-handler/vncgate", "x-scheme-handler/vnc", "application/x-virt-viewer"})
    QCOMPARE(query(QString::fromLatin1(type)),
             QStringLiteral("io.github.vncgate.launcher.desktop"));

  // The per-user desktop file runs this launcher by absolute path and is valid.
  const QString desktop =
      dir_.filePath(QStringLiteral("data/applications/io.github.vncgate.launcher.desktop"));
  QFile f(desktop);
  QVERIFY(f.open(QIODevice::ReadOnly));
  const QString contents = QString::fromUtf8(f.readAll());
  QVERIFY2(contents.contains(QStringLiteral("Exec=") + QFileInfo(launcher_).canonicalFilePath() +
                             QStringLiteral(" -- %u")),
           qPrintable(contents));
  QVERIFY(contents.contains(QStringLiteral("MimeType=x-scheme-handler/vncgate;")));
  const QString validate = QStandardPaths::findExecutable(QStringLiteral("desktop-file-validate"));
  if (!validate.isEmpty()) {
    QProcess v;
    v.start(validate, {desktop});
    QVERIFY(v.waitForFinished(10000));
    QVERIFY2(v.exitCode() == 0, v.readAllStandardOutput().constData());
  }

  const Run u = launch({QStringLiteral("--unregister")});
  QVERIFY2(u.code == 0, qPrintable(u.err));
  QVERIFY(query(QStringLiteral("x-scheme-handler/vncgate")) !=
          QStringLiteral("io.github.vncgate.launcher.desktop"));
  QVERIFY(!QFile::exists(desktop));
  QCOMPARE(launch({QStringLiteral("--register"), QStringLiteral("--unregister")}).code, 2);
}

// With a real X display (Xvfb, no window manager) a refused link and a
// password in a link are dialogs; the launcher waits for them. xdotool
// finds the dialog by its title and answers it from the keyboard.
void LauncherCliTest::dialogsUnderXvfb() {
  const QString xvfb = QStandardPaths::findExecutable(QStringLiteral("Xvfb"));
  const QString xdotool = QStandardPaths::findExecutable(QStringLiteral("xdotool"));
  if (xvfb.isEmpty() || xdotool.isEmpty()) QSKIP("Xvfb or xdotool is not installed");
  QProcess server;
  // -displayfd: Xvfb picks a free display and prints its number when ready.
  server.start(xvfb, {QStringLiteral("-displayfd"), QStringLiteral("1"), QStringLiteral("-screen"),
                      QStringLiteral("0"), QStringLiteral("800x600x24"),
                      QStringLiteral("-nolisten"), QStringLiteral("tcp")});
  QVERIFY(server.waitForStarted(5000));
  QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine() || server.state() != QProcess::Running, 10000);
  const QString display = QStringLiteral(":") + QString::fromLatin1(server.readLine().trimmed());
  QVERIFY2(display.size() > 1, "Xvfb did not start");
  auto stop_server = qScopeGuard([&] {
    server.terminate();
    server.waitForFinished(5000);
  });
  QProcessEnvironment env = env_;
  env.remove(QStringLiteral("QT_QPA_PLATFORM"));
  env.remove(QStringLiteral("WAYLAND_DISPLAY"));
  env.insert(QStringLiteral("DISPLAY"), display);
  auto xdo = [&](const QStringList &args) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(xdotool, args);
    if (!p.waitForFinished(10000)) p.kill();
    p.waitForFinished();
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
  };
  auto answer_dialog = [&](QProcess &launcher, const char *key) {
    // The dialog is up and the launcher waits for it.
    const QString id =
        xdo({QStringLiteral("search"), QStringLiteral("--sync"), QStringLiteral("--onlyvisible"),
             QStringLiteral("--name"), QStringLiteral("^vncgate$")})
            .split(QLatin1Char('\n'))
            .value(0);
    QVERIFY2(!id.isEmpty(), "no dialog titled vncgate");
    QCOMPARE(launcher.state(), QProcess::Running);
    xdo({QStringLiteral("windowfocus"), QStringLiteral("--sync"), id});
    xdo({QStringLiteral("key"), QStringLiteral("--clearmodifiers"), QString::fromLatin1(key)});
  };

  QProcess bad;
  bad.setProcessEnvironment(env);
  bad.start(launcher_, {QStringLiteral("vncgate://-x/console/a")});
  QVERIFY(bad.waitForStarted(5000));
  answer_dialog(bad, "Return");
  if (QTest::currentTestFailed()) return;
  QVERIFY(bad.waitForFinished(10000));
  QCOMPARE(bad.exitCode(), 2);
  QVERIFY(bad.readAllStandardError().contains("invalid host"));

  QProcess password;
  password.setProcessEnvironment(env);
  password.start(launcher_, {QStringLiteral("vnc://bob:pw@gw.example")});
  QVERIFY(password.waitForStarted(5000));
  answer_dialog(password, "Escape");  // Cancel: nothing is opened
  if (QTest::currentTestFailed()) return;
  QVERIFY(password.waitForFinished(10000));
  QCOMPARE(password.exitCode(), 1);
  QVERIFY(events().isEmpty());

  // The viewer reports that it could not open the console: the launcher's
  // error dialog says so (and the launcher exits 1 once it is closed).
  QProcessEnvironment failing = env;
  failing.insert(QStringLiteral("FAKE_VIEWER_MODE"), QStringLiteral("report-failed"));
  failing.insert(QStringLiteral("FAKE_VIEWER_REASON"),
                 QStringLiteral("This console link belongs to another user."));
  failing.insert(QStringLiteral("VNCGATE_LAUNCH_GRACE_MS"), QStringLiteral("20000"));
  QProcess failed;
  failed.setProcessEnvironment(failing);
  failed.start(launcher_, {QStringLiteral("vncgate://gw.example/console/gui-fail")});
  QVERIFY(failed.waitForStarted(5000));
  answer_dialog(failed, "Return");
  if (QTest::currentTestFailed()) return;
  QVERIFY(failed.waitForFinished(10000));
  QCOMPARE(failed.exitCode(), 1);
  QVERIFY(failed.readAllStandardError().contains("belongs to another user"));
}

// The real vncgate-viewer without a display: it accepts the link the
// launcher hands it (exit 1 "cannot open", not 2 "bad link"), and the
// launcher passes its reason on.
void LauncherCliTest::realViewerAcceptsTheLink() {
  const QString viewer = qEnvironmentVariable("VNCGATE_TEST_REAL_VIEWER");
  if (viewer.isEmpty()) QSKIP("vncgate-viewer is not built (gtk-vnc missing)");
  QProcessEnvironment env = env_;
  for (const char *v : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"})
    env.remove(QString::fromLatin1(v));
  env.insert(QStringLiteral("VNCGATE_VIEWER"), viewer);
  const QStringList links{
      QStringLiteral("vncgate://127.0.0.1:1/console/lpar-7?token=abcdefghijklmnop1234&tls=x509"
                     "&title=Web%20server"),
      QStringLiteral("vnc://bob@127.0.0.1:1?ConnectionName=Lab%20box&SecurityType=2&ViewOnly=true"),
  };
  for (const QString &link : links) {
    const Run r = launch({QStringLiteral("--no-gui"), link}, {}, env);
    QVERIFY2(r.code == 1, qPrintable(r.err));
    QVERIFY2(r.err.contains(QStringLiteral("Its last message: vncgate-viewer:")),
             qPrintable(r.err));
    QVERIFY2(!r.err.contains(QStringLiteral("refused the link")), qPrintable(r.err));
  }
}

QTEST_GUILESS_MAIN(LauncherCliTest)
#include "test_launcher_cli.moc"
