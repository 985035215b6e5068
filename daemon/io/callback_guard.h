// Guards callbacks handed to something that may answer after their owner
// is gone (a Redis reply for an ended session): the owner holds a
// CallbackGuard; wrap() returns a callback that does nothing once the guard
// is destroyed or reset. Main-loop use only (no locking).
#pragma once

#include <functional>
#include <memory>
#include <utility>

namespace vncgate {

class CallbackGuard {
 public:
  template <typename... Args>
  std::function<void(Args...)> wrap(std::function<void(Args...)> fn) {
    std::weak_ptr<char> alive = alive_;
    return [alive, fn = std::move(fn)](Args... args) {
      if (alive.lock()) fn(std::forward<Args>(args)...);
    };
  }
  // For a callback that must still do something when its owner is gone.
  std::weak_ptr<char> alive() const { return alive_; }
  // Drops every callback wrapped so far.
  void reset() { alive_ = std::make_shared<char>(0); }

 private:
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace vncgate
