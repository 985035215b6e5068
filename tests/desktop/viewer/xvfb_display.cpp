#include "xvfb_display.h"

#include <gtk/gtk.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <random>

#include "wait.h"
#include "xvnc_backend.h"

namespace vncgate::desktop {

namespace {

bool exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

bool xvfb_available() {
  return !it::find_program("Xvfb").empty();
}

XvfbDisplay::~XvfbDisplay() {
  stop();
}

XvfbDisplay *shared_xvfb(std::string &error) {
  static std::unique_ptr<XvfbDisplay> display;
  static std::string start_error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    auto d = std::make_unique<XvfbDisplay>();
    if (d->start("/tmp/vncgate-viewer-xvfb-" + std::to_string(getpid()) + ".log", start_error))
      display = std::move(d);
  }
  error = start_error;
  return display.get();
}

bool XvfbDisplay::start(const std::string &log_path, std::string &error) {
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> displays(5000, 5999);
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int n = displays(rng);
    const std::string sock = "/tmp/.X11-unix/X" + std::to_string(n);
    if (exists(sock) || exists("/tmp/.X" + std::to_string(n) + "-lock")) continue;
    it::SpawnOptions o;
    o.argv = {"Xvfb",    ":" + std::to_string(n), "-screen", "0", "1024x768x24", "-nolisten", "tcp",
              "-noreset"};
    o.stdout_path = o.stderr_path = log_path;
    if (!process_.start(o, error)) return false;
    const bool up =
        it::wait_until([&] { return !process_.running() || exists(sock); }, it::milliseconds(5000));
    if (up && process_.running()) {
      display_ = n;
      return true;
    }
    process_.kill_and_reap();
    it::remove_x_display_files(n);
  }
  error = "Xvfb did not start (see " + log_path + ")";
  return false;
}

void XvfbDisplay::stop() {
  if (display_ < 0) return;
  process_.send_signal(SIGTERM);
  if (!process_.wait(std::chrono::seconds(3))) process_.kill_and_reap();
  it::remove_x_display_files(display_);
  display_ = -1;
}

bool XvfbDisplay::capture(const std::string &png_path, std::string &error) const {
  return capture_area(png_path, 0, 0, -1, -1, error);
}

// w or h < 0: the whole screen.
bool XvfbDisplay::capture_area(const std::string &png_path, int x, int y, int w, int h,
                               std::string &error) const {
  gdk_set_allowed_backends("x11");
  GdkDisplay *d = gdk_display_open(name().c_str());
  if (!d) {
    error = "cannot open display " + name();
    return false;
  }
  GdkWindow *root = gdk_screen_get_root_window(gdk_display_get_default_screen(d));
  if (w < 0 || h < 0) {
    w = gdk_window_get_width(root);
    h = gdk_window_get_height(root);
  }
  GdkPixbuf *pixbuf = gdk_pixbuf_get_from_window(root, x, y, w, h);
  bool ok = pixbuf != nullptr;
  if (!ok) error = "cannot read the root window";
  GError *err = nullptr;
  if (ok && !gdk_pixbuf_save(pixbuf, png_path.c_str(), "png", &err, nullptr)) {
    error = err->message;
    g_error_free(err);
    ok = false;
  }
  if (pixbuf) g_object_unref(pixbuf);
  gdk_display_close(d);
  return ok;
}

}  // namespace vncgate::desktop
