// Placeholder until the dashboards service lands: says so instead of pretending to work.
#include <iostream>

#include "services/services.h"

namespace sremon::services {

int RunDashboards(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

}  // namespace sremon::services
