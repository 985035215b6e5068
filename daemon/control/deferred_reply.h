// A control API reply that may be given after the handler returned (the
// answer comes from [cluster] Redis): the handler calls wait() last, which
// pauses the message only when it is not answered yet; the answer calls
// answered(), which resumes it. Holds a reference on the message, so an
// answer for a client that went away writes into a message nobody sends.
#pragma once

#include <libsoup/soup.h>

namespace vncgate {

class DeferredReply {
 public:
  explicit DeferredReply(SoupServerMessage *msg)
      : msg_(static_cast<SoupServerMessage *>(g_object_ref(msg))) {}
  ~DeferredReply() { g_object_unref(msg_); }
  DeferredReply(const DeferredReply &) = delete;
  DeferredReply &operator=(const DeferredReply &) = delete;

  SoupServerMessage *msg() const { return msg_; }
  void wait() {
    if (done_) return;
    paused_ = true;
    soup_server_message_pause(msg_);
  }
  void answered() {
    done_ = true;
    if (paused_) soup_server_message_unpause(msg_);
    paused_ = false;
  }

 private:
  SoupServerMessage *msg_;
  bool done_ = false;
  bool paused_ = false;
};

}  // namespace vncgate
