#include "main_window.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

#include "i18n.h"
#include "recent_consoles.h"
#include "registration.h"

namespace vncgate::launcher {
namespace {
constexpr int kUrlRole = Qt::UserRole;
}

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent) {
  setWindowTitle(_("vncgate"));
  auto *central = new QWidget(this);
  auto *layout = new QVBoxLayout(central);

  auto *recent_box = new QGroupBox(_("Recent consoles"), central);
  auto *recent_layout = new QVBoxLayout(recent_box);
  recent_ = new QListWidget(recent_box);
  recent_->setAccessibleName(_("Recent consoles"));
  recent_layout->addWidget(recent_);
  auto *recent_buttons = new QHBoxLayout;
  open_recent_ = new QPushButton(_("&Open"), recent_box);
  remove_recent_ = new QPushButton(_("&Remove from list"), recent_box);
  open_recent_->setObjectName(QStringLiteral("openRecent"));
  remove_recent_->setObjectName(QStringLiteral("removeRecent"));
  recent_buttons->addWidget(open_recent_);
  recent_buttons->addWidget(remove_recent_);
  recent_buttons->addStretch();
  recent_layout->addLayout(recent_buttons);
  layout->addWidget(recent_box, 1);

  auto *link_row = new QHBoxLayout;
  link_edit_ = new QLineEdit(central);
  link_edit_->setPlaceholderText(_("Paste a vncgate:// or vnc:// link"));
  link_edit_->setAccessibleName(_("Console link"));
  open_link_ = new QPushButton(_("Open &link"), central);
  open_link_->setObjectName(QStringLiteral("openLink"));
  link_row->addWidget(link_edit_, 1);
  link_row->addWidget(open_link_);
  layout->addLayout(link_row);

  auto *settings_box = new QGroupBox(_("Settings"), central);
  auto *form = new QFormLayout(settings_box);
  viewer_ = new QComboBox(settings_box);
  viewer_->addItem(QStringLiteral("vncgate-viewer"), QStringLiteral("vncgate-viewer"));
  viewer_->addItem(_("remote-viewer (plain vnc:// links only)"), QStringLiteral("remote-viewer"));
  form->addRow(_("&Viewer program:"), viewer_);
  auto *ca_row = new QHBoxLayout;
  ca_file_ = new QLineEdit(settings_box);
  ca_file_->setPlaceholderText(_("System certificate authorities"));
  auto *browse = new QPushButton(_("&Browse…"), settings_box);
  ca_row->addWidget(ca_file_, 1);
  ca_row->addWidget(browse);
  auto *ca_label = new QLabel(_("&CA file:"), settings_box);
  ca_label->setBuddy(ca_file_);
  form->addRow(ca_label, ca_row);
  layout->addWidget(settings_box);

  auto *handler_box = new QGroupBox(_("Console links"), central);
  auto *handler_layout = new QVBoxLayout(handler_box);
  handler_state_ = new QLabel(handler_box);
  handler_state_->setWordWrap(true);
  auto *make_handler =
      new QPushButton(_("Make vncgate the &handler for console links"), handler_box);
  make_handler->setObjectName(QStringLiteral("makeHandler"));
  handler_layout->addWidget(handler_state_);
  handler_layout->addWidget(make_handler, 0, Qt::AlignLeft);
  layout->addWidget(handler_box);

  status_ = new QLabel(central);
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  status_->setAccessibleName(_("Status"));
  layout->addWidget(status_);
  setCentralWidget(central);

  const ViewerSettings s = ViewerSettings::load(settings_);
  viewer_->setCurrentIndex(s.preferred == ViewerKind::RemoteViewer ? 1 : 0);
  ca_file_->setText(s.ca_file);

  connect(recent_, &QListWidget::itemActivated, this, &MainWindow::open_selected);
  connect(recent_, &QListWidget::currentRowChanged, this, [this](int row) {
    open_recent_->setEnabled(row >= 0 && !launching());
    remove_recent_->setEnabled(row >= 0);
  });
  connect(open_recent_, &QPushButton::clicked, this, &MainWindow::open_selected);
  connect(remove_recent_, &QPushButton::clicked, this, &MainWindow::remove_selected);
  connect(open_link_, &QPushButton::clicked, this,
          [this] { open_text(link_edit_->text().trimmed()); });
  connect(link_edit_, &QLineEdit::returnPressed, open_link_, &QPushButton::click);
  connect(viewer_, &QComboBox::currentIndexChanged, this, &MainWindow::save_settings);
  connect(ca_file_, &QLineEdit::editingFinished, this, &MainWindow::save_settings);
  connect(browse, &QPushButton::clicked, this, &MainWindow::browse_ca);
  connect(make_handler, &QPushButton::clicked, this, &MainWindow::make_handler);

  reload_recent();
  update_handler_state();
  resize(520, 480);
}

QString MainWindow::status_text() const {
  return status_->text();
}

void MainWindow::reload_recent() {
  recent_->clear();
  for (const RecentConsole &r : load_recent(settings_)) {
    auto *item = new QListWidgetItem(r.label, recent_);
    item->setData(kUrlRole, r.url);
    item->setToolTip(r.identity);
  }
  if (recent_->count() > 0) recent_->setCurrentRow(0);
  open_recent_->setEnabled(recent_->currentRow() >= 0 && !launching());
  remove_recent_->setEnabled(recent_->currentRow() >= 0);
}

void MainWindow::open_selected() {
  if (QListWidgetItem *item = recent_->currentItem()) open_text(item->data(kUrlRole).toString());
}

void MainWindow::remove_selected() {
  if (QListWidgetItem *item = recent_->currentItem()) {
    forget_recent(settings_, item->data(kUrlRole).toString());
    reload_recent();
  }
}

void MainWindow::open_text(const QString &text) {
  if (launching()) return;
  LinkInput in = resolve_link_text(text);
  if (!in.request) {
    set_status(in.error, true);
    return;
  }
  // A password in a link is never used; say so where the user looks.
  const QString warning =
      in.request->password_in_link
          ? _("This link contains a password. vncgate does not use passwords from links; "
              "the viewer will ask for it.") +
                QLatin1Char(' ')
          : QString();
  set_status(warning + _("Opening %1…").arg(console_label(in.request->link)), false);
  flow_ = new LaunchFlow(*in.request, ViewerSettings::load(settings_), this);
  connect(flow_, &LaunchFlow::finished, this, [this, warning](const LaunchOutcome &o) {
    LaunchOutcome shown = o;
    if (!warning.isEmpty() && o.state != LaunchOutcome::State::Failed)
      shown.message = warning + shown.message;
    on_finished(shown);
  });
  open_recent_->setEnabled(false);
  open_link_->setEnabled(false);
  flow_->start();
}

void MainWindow::on_finished(const LaunchOutcome &outcome) {
  LaunchFlow *flow = flow_;
  const ConsoleLink link = flow->request().link;
  flow_.clear();
  flow->deleteLater();
  open_link_->setEnabled(true);
  const QString name = console_label(link);
  switch (outcome.state) {
    case LaunchOutcome::State::Raised:
      set_status(_("%1 is already open; its window was raised.").arg(name) + QLatin1Char(' ') +
                     outcome.message,
                 false);
      break;
    case LaunchOutcome::State::Started:
      set_status(_("Opened %1.").arg(name) + QLatin1Char(' ') + outcome.message, false);
      break;
    case LaunchOutcome::State::Failed:
      set_status(_("Could not open %1.").arg(name) + QLatin1Char('\n') + outcome.message, true);
      break;
  }
  if (outcome.state != LaunchOutcome::State::Failed) {
    remember_recent(settings_, link);
    link_edit_->clear();
  }
  reload_recent();
  Q_EMIT launchFinished();
}

void MainWindow::save_settings() {
  ViewerSettings s;
  s.preferred = viewer_->currentData().toString() == QLatin1String("remote-viewer")
                    ? ViewerKind::RemoteViewer
                    : ViewerKind::Vncgate;
  s.ca_file = ca_file_->text().trimmed();
  s.save(settings_);
  settings_.sync();
}

void MainWindow::browse_ca() {
  const QString file = QFileDialog::getOpenFileName(
      this, _("Certificate authority of the gateway"), ca_file_->text(),
      _("Certificates (*.pem *.crt *.cer);;All files (*)"));
  if (file.isEmpty()) return;
  ca_file_->setText(file);
  save_settings();
}

void MainWindow::make_handler() {
  const RegistrationResult r = register_handler();
  set_status(r.message, !r.ok);
  update_handler_state();
}

void MainWindow::update_handler_state() {
  const QString current = current_handler();
  if (current == QLatin1String(kDesktopId))
    handler_state_->setText(_("vncgate opens vncgate:// and vnc:// links and .vv files."));
  else if (current.isEmpty())
    handler_state_->setText(_("No program is set to open vncgate:// links."));
  else
    handler_state_->setText(_("vncgate:// links are opened by %1.").arg(current));
}

void MainWindow::set_status(const QString &text, bool error) {
  status_->setText(text.trimmed());
  status_->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

}  // namespace vncgate::launcher
