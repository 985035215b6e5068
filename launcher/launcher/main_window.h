// The launcher's window (no link given): recent consoles to open again, a
// box for pasting a link, the viewer settings, the handler registration,
// and a status line where the outcome of each launch (or its error) shows.
#pragma once

#include <QMainWindow>
#include <QPointer>
#include <QSettings>

#include "launch_flow.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace vncgate::launcher {

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget *parent = nullptr);

  // Opens a link as the command line would, reporting in the status line.
  void open_text(const QString &text);
  QString status_text() const;
  bool launching() const { return !flow_.isNull(); }

 Q_SIGNALS:
  void launchFinished();

 private:
  void reload_recent();
  void open_selected();
  void remove_selected();
  void save_settings();
  void browse_ca();
  void make_handler();
  void update_handler_state();
  void set_status(const QString &text, bool error);
  void on_finished(const LaunchOutcome &outcome);

  QSettings settings_;
  QListWidget *recent_ = nullptr;
  QPushButton *open_recent_ = nullptr;
  QPushButton *remove_recent_ = nullptr;
  QLineEdit *link_edit_ = nullptr;
  QPushButton *open_link_ = nullptr;
  QComboBox *viewer_ = nullptr;
  QLineEdit *ca_file_ = nullptr;
  QLabel *handler_state_ = nullptr;
  QLabel *status_ = nullptr;
  QPointer<LaunchFlow> flow_;
};

}  // namespace vncgate::launcher
