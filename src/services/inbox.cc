// `sremon inbox`: the webhook receiver the reference alertmanager.yml points at (port 5001).
#include <spdlog/spdlog.h>

#include "inbox/inbox.h"
#include "inbox/web.h"
#include "services/common.h"
#include "services/services.h"

namespace sremon::services {
namespace {

// The flags as given, with their defaults (their types and ranges are all the checking they need).
struct InboxFlags {
  std::string listen_addr = "127.0.0.1:5001";
  std::string data_path = "inbox-data";
  int64_t max_notifications = 1000;
  std::string log_level = "info";

  void Register(CLI::App& cli);
};

void InboxFlags::Register(CLI::App& cli) {
  cli.add_option("--httpListenAddr", listen_addr, "Address to listen on (default 127.0.0.1:5001)");
  cli.add_option("--storageDataPath", data_path, "Directory for the notification store (default inbox-data)");
  AddNumberFlag<int64_t>(cli, "--maxNotifications", &max_notifications, 1, 10000000,
                         "How many notifications to keep (default 1000)");
  cli.add_option("--loggerLevel", log_level, "debug, info, warn, error (default info)");
}

}  // namespace

int RunInbox(int argc, char** argv) {
  CLI::App app("Notification inbox: stores webhook notifications (any JSON) and shows them", "sremon inbox");
  InboxFlags f;
  if (auto rc = ParseServiceFlags(app, f, argc, argv)) return *rc;
  InitLogging("inbox", f.log_level);
  WarnIfExposed("inbox", f.listen_addr, false, "The inbox has no authentication: keep it on 127.0.0.1");
  inbox::Inbox box;
  if (Status st = box.Open(f.data_path, f.max_notifications); !st.ok()) {
    spdlog::error("{}", st.message());
    return kExitFailure;
  }
  http::ServerOptions so;
  so.name = "inbox";
  so.listen_addr = f.listen_addr;
  so.max_body_bytes = 8 << 20;
  http::Server server(so);
  AddStandardRoutes(server);
  AddFlagsRoute(server, app);
  inbox::RegisterRoutes(server, &box);
  if (Status st = server.Start(); !st.ok()) {
    spdlog::error("{}", st.message());
    return kExitFailure;
  }
  spdlog::info("Listening on {} (storage {}, keeping {} notifications)", f.listen_addr, f.data_path,
               f.max_notifications);
  WaitForShutdown();
  server.Stop();
  return kExitOk;
}

}  // namespace sremon::services
