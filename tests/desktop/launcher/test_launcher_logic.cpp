// The launcher's pure parts: the link handed to the viewer, the argument
// vector, the recent list, and the words used when a viewer fails.
#include <sys/wait.h>

#include <QBuffer>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

#include "link_input.h"
#include "recent_consoles.h"
#include "viewer_plan.h"
#include "viewer_process.h"

using namespace vncgate;
using namespace vncgate::launcher;

class LauncherLogicTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase();
  void canonicalUrlOfGatewayLinkIsToUrl();
  void canonicalUrlOfPlainVncKeepsWhatTheViewerNeeds();
  void passwordsNeverReachTheViewer();
  void stdinIsBounded();
  void argumentKinds();
  void planUsesOneArgument();
  void planRemoteViewerOnlyForPlainVnc();
  void exitReasons();
  void lastLineOfLog();
  void recentListKeepsNoToken();

 private:
  static LinkRequest request(const char *text) {
    LinkInput in = resolve_link_text(QString::fromLatin1(text));
    if (!in.request) qFatal("%s", qPrintable(in.error));
    return *in.request;
  }
  QTemporaryDir dir_;
};

void LauncherLogicTest::initTestCase() {
  QVERIFY(dir_.isValid());
  qputenv("VNCGATE_VIEWER", "/bin/true");
}

void LauncherLogicTest::canonicalUrlOfGatewayLinkIsToUrl() {
  const LinkRequest r =
      request("VNCGATE://gw.example/console/lpar-1?title=Caf%C3%A9%20%26%20co&tls=anon");
  QCOMPARE(r.viewer_url, QString::fromStdString(r.link.to_url()));
  QCOMPARE(r.viewer_url,
           QStringLiteral(
               "vncgate://gw.example:5901/console/lpar-1?tls=anon&title=Caf%C3%A9%20%26%20co"));
  QCOMPARE(console_label(r.link), QStringLiteral("Café & co"));
}

void LauncherLogicTest::canonicalUrlOfPlainVncKeepsWhatTheViewerNeeds() {
  const LinkRequest r = request(
      "vnc://b%C3%B6b@[fe80::1]:5905?ConnectionName=Lab%20box%3F&SecurityType=2&ViewOnly=yes&X=1");
  QCOMPARE(r.viewer_url,
           QStringLiteral("vnc://b%C3%B6b@[fe80::1]:5905"
                          "?ConnectionName=Lab%20box%3F&SecurityType=2&ViewOnly=true"));
  const LinkRequest again = request(qPrintable(r.viewer_url));
  QCOMPARE(again.link.username, std::string("böb"));
  QCOMPARE(again.link.title, std::string("Lab box?"));
  QCOMPARE(again.link.security_type, 2);
  QVERIFY(again.link.view_only);
}

void LauncherLogicTest::passwordsNeverReachTheViewer() {
  const LinkRequest r = request("vnc://bob:hunter2@gw.example");
  QVERIFY(r.password_in_link);
  QVERIFY(!r.link.has_password);
  QCOMPARE(r.viewer_url, QStringLiteral("vnc://bob@gw.example:5900"));
  const LinkRequest q = request("vnc://gw.example?VncPassword=hunter2");
  QVERIFY(q.password_in_link);
  QVERIFY(q.link.password.empty());
  QVERIFY(!q.viewer_url.contains(QStringLiteral("hunter2")));
  QVERIFY(!reusable_url(q.link).contains(QStringLiteral("hunter2")));
}

void LauncherLogicTest::stdinIsBounded() {
  QByteArray vv = "[virt-viewer]\ntype=vnc\nhost=h.example\nport=5900\npassword=pw\n";
  QBuffer good(&vv);
  LinkInput in = resolve_link_argument(QStringLiteral("-"), good);
  QVERIFY2(in.request, qPrintable(in.error));
  QVERIFY(in.request->password_in_link);
  QCOMPARE(in.request->viewer_url, QStringLiteral("vnc://h.example:5900"));
  QByteArray big = vv + QByteArray(70 * 1024, '#');
  QBuffer huge(&big);
  in = resolve_link_argument(QStringLiteral("-"), huge);
  QVERIFY(!in.request);
  QVERIFY(in.error.contains(QStringLiteral("64 KiB")));
}

void LauncherLogicTest::argumentKinds() {
  QBuffer none;
  // A bare word is a (refused) link, not a file name.
  LinkInput in = resolve_link_argument(QStringLiteral("gw.example"), none);
  QVERIFY(!in.request);
  QVERIFY(in.error.contains(QStringLiteral("link was refused")));
  in = resolve_link_argument(QStringLiteral("--ca=/etc/passwd"), none);
  QVERIFY(in.error.contains(QStringLiteral("command-line option")));
  in = resolve_link_argument(QStringLiteral("file:///nonexistent/x.vv"), none);
  QVERIFY(in.error.contains(QStringLiteral("There is no file")));
  in = resolve_link_argument(dir_.path(), none);
  QVERIFY(in.error.contains(QStringLiteral("not a regular file")));
}

void LauncherLogicTest::planUsesOneArgument() {
  const LinkRequest r = request("vncgate://gw.example/console/a?token=abcdefghijklmnop1234");
  LaunchPlan plan = plan_launch(r, ViewerSettings{});
  QCOMPARE(plan.kind, ViewerKind::Vncgate);
  QCOMPARE(plan.program, QStringLiteral("/bin/true"));
  // The link (with its token) goes through the viewer's stdin, never argv.
  const QStringList flags{QStringLiteral("--report-state"), QStringLiteral("--link-stdin")};
  QCOMPARE(plan.arguments, flags);
  QCOMPARE(plan.input, r.viewer_url.toUtf8() + '\n');
  QVERIFY(plan.reports_state);
  ViewerSettings with_ca;
  with_ca.ca_file = QStringLiteral("/etc/vncgate/ca.pem");
  plan = plan_launch(r, with_ca);
  QCOMPARE(plan.arguments, QStringList{QStringLiteral("--ca=/etc/vncgate/ca.pem")} + flags);
  for (const QString &a : plan.arguments)
    QVERIFY(!a.contains(QStringLiteral("abcdefghijklmnop1234")));
}

void LauncherLogicTest::planRemoteViewerOnlyForPlainVnc() {
  ViewerSettings rv;
  rv.preferred = ViewerKind::RemoteViewer;
  LaunchPlan plan = plan_launch(request("vnc://gw.example:5907?ConnectionName=-x%20y"), rv);
  QCOMPARE(plan.kind, ViewerKind::RemoteViewer);
  QCOMPARE(plan.arguments,
           (QStringList{QStringLiteral("--title=-x y"), QStringLiteral("vnc://gw.example:5907")}));
  QVERIFY(plan.input.isEmpty());  // host and port only: no secret
  QVERIFY(!plan.reports_state);
  QVERIFY(plan.note.isEmpty());
  plan = plan_launch(request("vncgate://gw.example/console/a"), rv);
  QCOMPARE(plan.kind, ViewerKind::Vncgate);
  QVERIFY(plan.note.contains(QStringLiteral("remote-viewer cannot")));
  QVERIFY(remote_viewer_allowed(request("vnc://h.example").link));
  QVERIFY(!remote_viewer_allowed(request("vncgate://h.example/console/a").link));
}

void LauncherLogicTest::exitReasons() {
  auto exited = [](int code) { return code << 8; };  // as waitpid() reports exit(code)
  QVERIFY(WIFEXITED(exited(1)) && WEXITSTATUS(exited(1)) == 1);
  QString s = describe_viewer_exit(exited(1), QStringLiteral("vncgate-viewer: Login failed"));
  QVERIFY(s.contains(QStringLiteral("could not open the console")));
  QVERIFY(s.contains(QStringLiteral("Its last message: vncgate-viewer: Login failed")));
  QVERIFY(describe_viewer_exit(exited(2), {}).contains(QStringLiteral("refused the link")));
  s = describe_viewer_exit(exited(7), {});
  QVERIFY(s.contains(QStringLiteral("exit status 7")));
  QVERIFY(s.contains(QStringLiteral("printed no message")));
  QVERIFY(describe_viewer_exit(SIGSEGV, {}).contains(QStringLiteral("crashed (signal 11")));
}

void LauncherLogicTest::lastLineOfLog() {
  const QString path = dir_.filePath(QStringLiteral("viewer.log"));
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(QByteArray(8000, 'x') + "\nfirst\nthe \x1b[31mlast\x07 one\n\n  \n");
  f.close();
  QCOMPARE(ViewerProcess::last_line(path), QStringLiteral("the  [31mlast  one"));
  QCOMPARE(ViewerProcess::last_line(dir_.filePath(QStringLiteral("missing"))), QString());
}

void LauncherLogicTest::recentListKeepsNoToken() {
  QSettings settings(dir_.filePath(QStringLiteral("recent.conf")), QSettings::IniFormat);
  for (int i = 0; i < 12; ++i)
    remember_recent(
        settings,
        request(
            qPrintable(QStringLiteral("vncgate://gw.example/console/c%1?token=abcdefghijklmnop1234")
                           .arg(i)))
            .link);
  remember_recent(settings, request("vncgate://gw.example:5901/console/c5?title=Five").link);
  QList<RecentConsole> list = load_recent(settings);
  QCOMPARE(list.size(), kMaxRecent);
  QCOMPARE(list[0].label, QStringLiteral("Five"));
  QCOMPARE(list[0].url, QStringLiteral("vncgate://gw.example:5901/console/c5?title=Five"));
  QCOMPARE(list[1].url, QStringLiteral("vncgate://gw.example:5901/console/c11"));
  for (const RecentConsole &r : list) QVERIFY(!r.url.contains(QStringLiteral("token")));
  forget_recent(settings, list[0].url);
  QCOMPARE(load_recent(settings).size(), kMaxRecent - 1);
  // An entry edited into something hostile is dropped when read.
  settings.beginWriteArray(QStringLiteral("recent"), kMaxRecent - 1);
  settings.setArrayIndex(0);
  settings.setValue(QStringLiteral("url"), QStringLiteral("vncgate://-oX/console/a"));
  settings.endArray();
  QCOMPARE(load_recent(settings).size(), kMaxRecent - 2);
}

QTEST_GUILESS_MAIN(LauncherLogicTest)
#include "test_launcher_logic.moc"
