// Why the link parser refused something, kept in a form a display site can
// translate: the parser has no gettext (it also builds for Windows without
// GLib), so it records the N_()-marked English message, the value for its
// one "%s", or, where that value is itself a parser message (the URI or .vv
// reason inside "not a valid link: %s"), that message.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace vncgate {

struct LinkMessage {
  const char *msgid = nullptr;               // N_()-marked text, "%s" at most once
  std::string value;                         // for "%s", unless `inner` is set
  std::shared_ptr<const LinkMessage> inner;  // for "%s": a nested parser message

  LinkMessage() = default;
  LinkMessage(const char *id) : msgid(id) {}  // NOLINT: `error = N_("...")`
  LinkMessage(const char *id, std::string_view v) : msgid(id), value(v) {}
  LinkMessage(const char *id, LinkMessage nested)
      : msgid(id), inner(std::make_shared<const LinkMessage>(std::move(nested))) {}

  bool empty() const { return msgid == nullptr; }

  // The message with its "%s" filled in, each part through `translate`
  // (const char * msgid -> std::string): identity for the English text,
  // dgettext for the user's language.
  template <class Translate>
  std::string render(const Translate &translate) const {
    if (!msgid) return {};
    std::string out = translate(msgid);
    if (const size_t at = out.find("%s"); at != std::string::npos)
      out.replace(at, 2, inner ? inner->render(translate) : value);
    return out;
  }

  std::string text() const {
    return render([](const char *m) { return std::string(m); });
  }
};

}  // namespace vncgate
