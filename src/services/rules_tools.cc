// Placeholder until `sremon check rules` / `sremon test rules` land.
#include <iostream>

#include "services/services.h"

namespace sremon::services {

int RunCheck(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

int RunTest(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

}  // namespace sremon::services
