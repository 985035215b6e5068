// vncgate-launcher: the desktop's handler for console links.
//
//   vncgate-launcher [--no-gui] [--] LINK     open one console (LINK: vncgate://,
//                                             vnc://, a .vv file, - for stdin)
//   vncgate-launcher --register|--unregister  per-user handler registration
//   vncgate-launcher                          the window (recent, settings)
//
// Exit status: 0 opened (or raised) / registered; 1 the viewer failed or
// registration failed; 2 a refused link or a usage error. Errors always go
// to stderr; dialogs only with a usable display and without --no-gui (not
// under QT_QPA_PLATFORM=offscreen or minimal).
#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "i18n.h"
#include "launch_flow.h"
#include "link_input.h"
#include "main_window.h"
#include "recent_consoles.h"
#include "registration.h"
#ifdef _WIN32
#include "windows_command_line.h"  // launcher/windows: the registry command's split
#endif

using namespace vncgate::launcher;

namespace {

enum Exit { kOk = 0, kFailed = 1, kUsage = 2 };

void print_err(const QString &text) {
  std::fprintf(stderr, "vncgate-launcher: %s\n", text.toLocal8Bit().constData());
}

// Options before "--" that decide whether a GUI application is needed.
bool wants_no_gui(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    const QByteArray a(argv[i]);
    if (a == "--") break;
    if (a == "--no-gui" || a == "--register" || a == "--unregister" || a == "-h" || a == "--help" ||
        a == "--help-all" || a == "-v" || a == "--version")
      return true;
  }
  return false;
}

#ifndef _WIN32
// A browser hands the launcher the link, token and all, as an argument,
// which any local user can read in /proc/PID/cmdline while the launcher
// waits for its viewer. Once the arguments are parsed (Qt keeps its own
// copies), every token's characters are overwritten in place, so the
// process list shows "token=****". The viewer never gets it in argv.
void hide_tokens_in_argv(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    for (char *t = std::strstr(argv[i], "token="); t; t = std::strstr(t, "token=")) {
      for (t += 6; *t && *t != '&' && *t != '#'; ++t) *t = '*';
    }
  }
}
#endif

bool display_available() {
  return !qEnvironmentVariableIsEmpty("DISPLAY") ||
         !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ||
         !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

class Launcher {
 public:
  explicit Launcher(bool dialogs) : dialogs_(dialogs) {}

  int open(const QString &arg) {
    QFile in;
    if (arg == QLatin1String("-")) in.open(stdin, QIODevice::ReadOnly);
    const LinkInput input = resolve_link_argument(arg, in);
    if (!input.request) {
      error(input.error);
      return kUsage;
    }
    const LinkRequest &request = *input.request;
    if (request.password_in_link && !accept_password_warning()) return kFailed;

    QSettings settings;
    std::optional<LaunchOutcome> outcome;
    LaunchFlow flow(request, ViewerSettings::load(settings));
    QObject::connect(&flow, &LaunchFlow::finished, [&outcome](const LaunchOutcome &o) {
      outcome = o;
      QCoreApplication::quit();
    });
    flow.start();
    if (!outcome) QCoreApplication::exec();
    if (!outcome || outcome->state == LaunchOutcome::State::Failed) {
      error(_("Could not open %1.").arg(console_label(request.link)) + QLatin1Char('\n') +
            (outcome ? outcome->message : QString()));
      return kFailed;
    }
    if (!outcome->message.isEmpty()) print_err(outcome->message);
    remember_recent(settings, request.link);
    return kOk;
  }

 private:
  void error(const QString &text) {
    print_err(text);
    if (dialogs_) QMessageBox::critical(nullptr, _("vncgate"), text);
  }

  // A password in a link is never used (RFC 7869 forbids it; it sat in a
  // browser's history): tell the user, and go on without it.
  bool accept_password_warning() {
    const QString text =
        _("This link contains a password. vncgate never uses a password from "
          "a link; the viewer will ask for it when it is needed.");
    print_err(text);
    if (!dialogs_) return true;
    QMessageBox box(QMessageBox::Warning, _("vncgate"), text);
    QPushButton *go = box.addButton(_("Open without the password"), QMessageBox::AcceptRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(go);
    box.exec();
    return box.clickedButton() == go;
  }

  bool dialogs_;
};

}  // namespace

int main(int argc, char **argv) {
  const bool headless = wants_no_gui(argc, argv) || !display_available();
  std::unique_ptr<QCoreApplication> app;
  if (headless)
    app = std::make_unique<QCoreApplication>(argc, argv);
  else
    app = std::make_unique<QApplication>(argc, argv);
  QCoreApplication::setOrganizationName(QStringLiteral("vncgate"));
  QCoreApplication::setApplicationName(QStringLiteral("vncgate-launcher"));
  QCoreApplication::setApplicationVersion(QStringLiteral(VNCGATE_VERSION));
  if (!headless) QGuiApplication::setDesktopFileName(QStringLiteral("io.github.vncgate.launcher"));
  init_i18n();

  QCommandLineParser parser;
  parser.setApplicationDescription(
      _("Opens virtual machine consoles from vncgate:// and vnc:// links and virt-viewer .vv "
        "files, one viewer per console."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption version = parser.addVersionOption();
  const QCommandLineOption no_gui(QStringLiteral("no-gui"),
                                  _("Report errors on standard error only, without dialogs."));
  const QCommandLineOption reg(QStringLiteral("register"),
                               _("Make vncgate open console links for this user."));
  const QCommandLineOption unreg(QStringLiteral("unregister"),
                                 _("Stop opening console links with vncgate for this user."));
  parser.addOptions({no_gui, reg, unreg});
  parser.addPositionalArgument(
      QStringLiteral("link"),
      _("A vncgate:// or vnc:// link, a .vv file, or - to read a .vv file from standard input."),
      QStringLiteral("[--] [link]"));
#ifdef _WIN32
  // Windows starts the handler as `"<exe>" "%1"`: a '"' inside a URL ends the
  // quotes early and the rest becomes further arguments, so a link followed
  // by anything is refused before the option parser can read those pieces.
  {
    std::vector<std::wstring> args;
    const QStringList all = QCoreApplication::arguments();
    for (qsizetype i = 1; i < all.size(); ++i) args.push_back(all[i].toStdWString());
    const auto checked = vncgate::windows::check_handler_arguments(args);
    if (checked.kind == vncgate::windows::HandlerInput::Refused) {
      print_err(_(checked.error.c_str()));
      return kUsage;
    }
  }
#endif
  if (!parser.parse(QCoreApplication::arguments())) {
    print_err(parser.errorText());
    return kUsage;
  }
#ifndef _WIN32
  hide_tokens_in_argv(argc, argv);
#endif
  if (parser.isSet(help)) parser.showHelp(kOk);
  if (parser.isSet(version)) parser.showVersion();

  const QStringList links = parser.positionalArguments();
  if (parser.isSet(reg) || parser.isSet(unreg)) {
    if ((parser.isSet(reg) && parser.isSet(unreg)) || !links.isEmpty()) {
      print_err(_("--register and --unregister take no link and exclude each other."));
      return kUsage;
    }
    const RegistrationResult r = parser.isSet(reg) ? register_handler() : unregister_handler();
    if (!r.ok) {
      print_err(r.message);
      return kFailed;
    }
    std::printf("%s\n", r.message.toLocal8Bit().constData());
    return kOk;
  }
  if (links.size() > 1) {
    print_err(_("Give one link at a time."));
    return kUsage;
  }
  const QString platform = headless ? QString() : QGuiApplication::platformName();
  const bool dialogs = !headless && !parser.isSet(no_gui) &&
                       platform != QLatin1String("offscreen") &&
                       platform != QLatin1String("minimal");
  if (links.size() == 1) return Launcher(dialogs).open(links.first());

  if (headless) {
    print_err(_("No display: give a link, or use --register."));
    return kUsage;
  }
  MainWindow window;
  window.show();
  return QCoreApplication::exec();
}
