// Whether single sign-on can work, found out before the viewer connects so
// it can ask the gateway for Kerberos only or for password mechanisms only
// (the CONNECT's Vncgate-Auth header, rfb/http_connect.h). GSS-API, never a
// prompt: the default credential must exist with time left, and the KDC must
// give a service ticket for vnc@HOST (the name gtk-vnc's SASL asks for).
// Runs in a worker thread: a KDC that does not answer takes seconds.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <string>

namespace vncgate::viewer {

struct TicketCheck {
  enum class State {
    Usable,     // a service ticket for vnc@HOST can be had
    NoTicket,   // no ticket cache or no ticket in it: a password user
    Expired,    // the ticket has expired
    Unusable,   // a ticket, but no service ticket (wrong realm, unknown host, KDC down)
    Unchecked,  // built without GSS-API: let the gateway offer everything
  };
  State state = State::Unchecked;
  std::string detail;  // GSS-API's words when not Usable (for the log and the dialog)
};

// Blocking; for the worker thread (and tests).
TicketCheck check_kerberos_ticket(const std::string &host, const std::string &service = "vnc");

// Runs check_kerberos_ticket() in a thread and calls `done` in the main
// loop, unless `cancellable` was cancelled first.
void check_kerberos_ticket_async(const std::string &host, GCancellable *cancellable,
                                 std::function<void(TicketCheck)> done);

}  // namespace vncgate::viewer
