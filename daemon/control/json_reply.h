// JSON replies of the control API, shared by every endpoint: a reply is
// always valid UTF-8 JSON, whatever bytes clients and backends put into the
// strings it carries.
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <cstdint>
#include <string>

namespace vncgate {

// Sends `node` (taking its reference) with `status`.
void respond_json(SoupServerMessage *msg, unsigned status, JsonNode *node);
// {"error": "..."} with `status`.
void respond_error(SoupServerMessage *msg, unsigned status, const std::string &error);
// "2026-12-03T09:00:00Z" for times in replies and log lines.
std::string iso8601_utc(int64_t unix_seconds);

}  // namespace vncgate
