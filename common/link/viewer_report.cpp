#include "link/viewer_report.h"

#include "link/link_text.h"

namespace vncgate {

namespace {

constexpr std::string_view kConnected = "connected";
constexpr std::string_view kFailed = "failed";

std::string clean_reason(std::string_view reason) {
  std::string r = linktext::utf8_make_valid(reason);
  for (char &c : r)
    if (linktext::is_cntrl(c)) c = ' ';
  if (r.size() > kMaxViewerReportReason) {
    r.resize(kMaxViewerReportReason);
    r.resize(linktext::utf8_valid_prefix(r));  // do not cut a character in two
  }
  return linktext::strip(r);
}

}  // namespace

std::string format_viewer_report(const ViewerReport &report) {
  std::string line(kViewerReportPrefix);
  if (report.state == ViewerReport::State::Connected) return line + std::string(kConnected);
  line += kFailed;
  const std::string reason = clean_reason(report.reason);
  if (!reason.empty()) line += " " + reason;
  return line;
}

std::optional<ViewerReport> parse_viewer_report(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!line.starts_with(kViewerReportPrefix)) return std::nullopt;
  line.remove_prefix(kViewerReportPrefix.size());
  if (line == kConnected) return ViewerReport{ViewerReport::State::Connected, {}};
  if (line == kFailed) return ViewerReport{ViewerReport::State::Failed, {}};
  if (line.starts_with(kFailed) && line.size() > kFailed.size() && line[kFailed.size()] == ' ')
    return ViewerReport{ViewerReport::State::Failed, clean_reason(line.substr(kFailed.size() + 1))};
  return std::nullopt;
}

std::optional<ViewerReport> find_viewer_report(std::string_view text, size_t &consumed) {
  consumed = 0;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string_view::npos; nl = text.find('\n', start)) {
    std::optional<ViewerReport> r = parse_viewer_report(text.substr(start, nl - start));
    start = nl + 1;
    consumed = start;
    if (r) return r;
  }
  return std::nullopt;
}

}  // namespace vncgate
