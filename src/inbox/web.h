// HTTP surface of the inbox: POST any path stores, GET / renders, GET /api/notifications polls.
#pragma once

#include "http/http.h"
#include "inbox/inbox.h"

namespace sremon::inbox {

// Registers the inbox routes (not /health, /metrics: services::AddStandardRoutes does those).
void RegisterRoutes(http::Server& server, Inbox* inbox);
// The HTML page, newest first.
std::string RenderPage(const std::vector<Notification>& newest_first);

}  // namespace sremon::inbox
