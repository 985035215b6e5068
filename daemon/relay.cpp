#include "relay.h"

namespace vncgate {

Relay::Relay(std::unique_ptr<Transport> client, std::unique_ptr<Transport> backend, End on_end)
    : client_(std::move(client)), backend_(std::move(backend)), on_end_(std::move(on_end)) {}

Relay::~Relay() = default;

void Relay::start() {
  client_->set_handler({
      .input = [this] { pump(*client_, *backend_, from_client_); },
      .failed = [this](const TransportError &e) { end(e.describe("client")); },
      .drained = [this] { backend_->resume_reading(); },
  });
  backend_->set_handler({
      .input = [this] { pump(*backend_, *client_, to_client_); },
      .failed = [this](const TransportError &e) { end(e.describe("backend")); },
      .drained = [this] { client_->resume_reading(); },
  });
  client_->resume_reading();
  if (!ended_) backend_->resume_reading();
}

void Relay::pump(Transport &src, Transport &dst, uint64_t &counter) {
  if (ended_) return;
  ByteSpan in = src.input();
  counter += in.size();
  bool ok = dst.write(in);  // a failure is reported through dst's handler
  src.consume(in.size());
  if (ok && dst.pending() > Transport::kHighWater) src.pause_reading();
}

void Relay::stop() {
  ended_ = true;
  client_->close();
  backend_->close();
}

void Relay::end(const std::string &reason) {
  if (ended_) return;
  ended_ = true;
  client_->pause_reading();
  backend_->pause_reading();
  on_end_(reason);  // the owner stops us and destroys us later, from the main loop
}

}  // namespace vncgate
