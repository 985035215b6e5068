// What vncgate-viewer tells the launcher that started it: connected, or
// failed with the sentence the user sees. The launcher already sends the
// viewer's stdout/stderr into the console's log file
// (launcher/launcher/viewer_instance_files.h) and reads it; with
// --report-state the viewer writes one report line there, once:
//   vncgate-viewer-state: connected
//   vncgate-viewer-state: failed <reason for the user>
// The launcher scans the log for that prefix and returns at once (exit 0
// for connected, exit 1 with the reason for failed), instead of waiting a
// fixed grace period. A file both sides already own works the same on
// Windows and needs no descriptor passing; a viewer that crashes before
// reporting is still seen through its exit status.
// Pure standard C++ (also built for Windows without GLib).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vncgate {

inline constexpr std::string_view kViewerReportPrefix = "vncgate-viewer-state: ";
inline constexpr size_t kMaxViewerReportReason = 1000;  // bytes of the reason kept

struct ViewerReport {
  enum class State { Connected, Failed };
  State state = State::Connected;
  std::string reason;  // Failed: one line, valid UTF-8, no control characters
};

// The report line without its newline: control characters (a reason may
// carry "\n" between sentence and detail) become spaces, invalid UTF-8 is
// replaced, the reason is cut at kMaxViewerReportReason bytes.
std::string format_viewer_report(const ViewerReport &report);

// One line (without "\n") of the viewer's output; nullopt when it is not a
// report line.
std::optional<ViewerReport> parse_viewer_report(std::string_view line);

// Scans complete lines of `text` (the log from some offset on) for the
// first report. `consumed` is set to the bytes up to the end of the last
// complete line looked at, so the caller can continue from there later.
std::optional<ViewerReport> find_viewer_report(std::string_view text, size_t &consumed);

}  // namespace vncgate
