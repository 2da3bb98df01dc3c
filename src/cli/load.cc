// Placeholder until `sremon load` lands.
#include <iostream>

#include "services/services.h"

namespace sremon::services {

int RunLoad(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

}  // namespace sremon::services
