// `sremon inbox`: the webhook receiver the reference alertmanager.yml points at (port 5001).
#include <spdlog/spdlog.h>

#include "inbox/inbox.h"
#include "inbox/web.h"
#include "services/common.h"
#include "services/services.h"

namespace sremon::services {

int RunInbox(int argc, char** argv) {
  CLI::App app("Notification inbox: stores webhook notifications (any JSON) and shows them", "sremon inbox");
  std::string listen = "127.0.0.1:5001", data = "inbox-data", log_level = "info";
  int64_t max = 1000;
  app.add_option("--httpListenAddr", listen, "Address to listen on (default 127.0.0.1:5001)");
  app.add_option("--storageDataPath", data, "Directory for the notification store (default inbox-data)");
  AddNumberFlag<int64_t>(app, "--maxNotifications", &max, 1, 10000000, "How many notifications to keep (default 1000)");
  app.add_option("--loggerLevel", log_level, "debug, info, warn, error (default info)");
  if (auto rc = ParseFlags(app, argc, argv)) return *rc;
  InitLogging("inbox", log_level);
  WarnIfExposed("inbox", listen, false, "The inbox has no authentication: keep it on 127.0.0.1");
  inbox::Inbox box;
  if (Status st = box.Open(data, max); !st.ok()) {
    spdlog::error("{}", st.message());
    return kExitFailure;
  }
  http::ServerOptions so;
  so.name = "inbox";
  so.listen_addr = listen;
  so.max_body_bytes = 8 << 20;
  http::Server server(so);
  AddStandardRoutes(server);
  AddFlagsRoute(server, app);
  inbox::RegisterRoutes(server, &box);
  if (Status st = server.Start(); !st.ok()) {
    spdlog::error("{}", st.message());
    return kExitFailure;
  }
  spdlog::info("Listening on {} (storage {}, keeping {} notifications)", listen, data, max);
  WaitForShutdown();
  server.Stop();
  return kExitOk;
}

}  // namespace sremon::services
