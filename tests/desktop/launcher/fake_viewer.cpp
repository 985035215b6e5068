// A stand-in for vncgate-viewer that the launcher tests start through
// VNCGATE_VIEWER. It appends what happened to $FAKE_VIEWER_RECORD, one line
// per event, fields separated by tabs:
//   start <pid> <arg1> <arg2> ...    (always, first)
//   listening <pid>                  (listen modes: socket is up)
//   raise <pid>                      (a "raise" line arrived on the socket)
// $FAKE_VIEWER_MODE:
//   listen       (default) listen on viewer_socket_path(link of the last argument)
//   listen-late  the same, $FAKE_VIEWER_LISTEN_DELAY_MS (default 400) later:
//                a slow viewer for the double-click test
//   fail         print a viewer-style error line on stderr, exit 1
//   crash        print a line, then die of SIGABRT
// A listening fake ends by itself after 30 s (or when the test kills it).
#include <unistd.h>

#include <QCoreApplication>
#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QTimer>
#include <cstdio>
#include <cstdlib>

#include "link/console_link.h"
#include "link/viewer_instance.h"

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
  auto parsed = vncgate::parse_console_link(argv[argc - 1]);
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
  });
  QTimer::singleShot(30000, &app, &QCoreApplication::quit);
  return QCoreApplication::exec();
}
