// A stand-in for vncgate-viewer that the launcher tests start through
// VNCGATE_VIEWER. It appends what happened to $FAKE_VIEWER_RECORD, one line
// per event, fields separated by tabs:
//   start <pid> <arg1> <arg2> ...    (always, first)
//   stdin <pid> <line>               (with --link-stdin: the link it read)
//   listening <pid>                  (listen modes: socket is up)
//   raise <pid>                      (a "raise" line arrived on the socket)
// The link is the last argument, or with --link-stdin the first line of
// standard input (as vncgate-viewer reads it).
// $FAKE_VIEWER_MODE:
//   listen       (default) listen on viewer_socket_path(link of the last argument)
//   listen-late  the same, $FAKE_VIEWER_LISTEN_DELAY_MS (default 400) later:
//                a slow viewer for the double-click test
//   fail         print a viewer-style error line on stderr, exit 1
//   crash        print a line, then die of SIGABRT
//   report-connected  listen, then report "connected" (link/viewer_report.h)
//                     after $FAKE_VIEWER_REPORT_DELAY_MS (default 300)
//   report-failed     listen, then report "failed $FAKE_VIEWER_REASON" and
//                     keep running (as the viewer does behind its dialog)
// A listening fake ends by itself after 30 s (or when the test kills it).
#include <unistd.h>

#include <QCoreApplication>
#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QTimer>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "link/console_link.h"
#include "link/viewer_instance.h"
#include "link/viewer_report.h"

namespace {

void record(const QByteArray &line) {
  QFile f(qEnvironmentVariable("FAKE_VIEWER_RECORD"));
  if (f.open(QIODevice::Append)) f.write(line + '\n');
}

QByteArray pid() {
  return QByteArray::number(qint64(::getpid()));
}

}  // namespace

int main(int argc, char **argv) {
  QCoreApplication app(argc, argv);
  QByteArray start = "start\t" + pid();
  for (int i = 1; i < argc; ++i) start += '\t' + QByteArray(argv[i]);
  record(start);

  const QByteArray mode = qgetenv("FAKE_VIEWER_MODE");
  if (mode == "fail") {
    std::fprintf(stderr, "vncgate-viewer: connecting to gw.example\n");
    std::fprintf(stderr,
                 "vncgate-viewer: Login failed: the user name or password was not "
                 "accepted. (SASL authentication failure)\n");
    return 1;
  }
  if (mode == "crash") {
    std::fprintf(stderr, "vncgate-viewer: about to crash\n");
    std::fflush(stderr);
    ::abort();
  }
  if (argc < 2) return 2;
  std::string link = argv[argc - 1];
  bool link_stdin = false;
  for (int i = 1; i < argc; ++i) link_stdin = link_stdin || QByteArray(argv[i]) == "--link-stdin";
  if (link_stdin) {
    std::getline(std::cin, link);
    record("stdin\t" + pid() + '\t' + QByteArray::fromStdString(link));
  }
  auto parsed = vncgate::parse_console_link(link);
  if (!parsed.link) {
    std::fprintf(stderr, "vncgate-viewer: %s\n", parsed.error.c_str());
    return 2;
  }
  const QString path = QString::fromStdString(vncgate::viewer_socket_path(*parsed.link));
  QLocalServer server;
  QObject::connect(&server, &QLocalServer::newConnection, [&server] {
    while (QLocalSocket *s = server.nextPendingConnection()) {
      QObject::connect(s, &QLocalSocket::readyRead, s, [s] {
        while (s->canReadLine())
          if (s->readLine() == vncgate::kViewerRaiseCommand) record("raise\t" + pid());
      });
      QObject::connect(s, &QLocalSocket::disconnected, s, &QObject::deleteLater);
    }
  });
  bool ok = false;
  int delay = qEnvironmentVariableIntValue("FAKE_VIEWER_LISTEN_DELAY_MS", &ok);
  if (!ok) delay = 400;
  QTimer::singleShot(mode == "listen-late" ? delay : 0, [&] {
    QLocalServer::removeServer(path);
    if (!server.listen(path)) {
      std::fprintf(stderr, "fake viewer: cannot listen on %s\n", path.toLocal8Bit().constData());
      QCoreApplication::exit(1);
      return;
    }
    record("listening\t" + pid());
    std::optional<vncgate::ViewerReport> report;
    if (mode == "report-connected") report = vncgate::ViewerReport{};
    if (mode == "report-failed")
      report = vncgate::ViewerReport{vncgate::ViewerReport::State::Failed,
                                     qEnvironmentVariable("FAKE_VIEWER_REASON").toStdString()};
    if (report) {
      bool delay_ok = false;
      int report_delay = qEnvironmentVariableIntValue("FAKE_VIEWER_REPORT_DELAY_MS", &delay_ok);
      QTimer::singleShot(delay_ok ? report_delay : 300, [report] {
        std::fprintf(stderr, "vncgate-viewer: some progress\n%s\n",
                     vncgate::format_viewer_report(*report).c_str());
        std::fflush(stderr);
      });
    }
  });
  QTimer::singleShot(30000, &app, &QCoreApplication::quit);
  return QCoreApplication::exec();
}
