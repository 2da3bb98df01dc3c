// Placeholder until the supervisor lands.
#include <iostream>

#include "services/services.h"

namespace sremon::services {

int RunUp(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

int RunDown(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

int RunStatus(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

int RunLogs(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

int RunStart(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

int RunStop(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

int RunRestart(int argc, char** argv) {
  std::cerr << argv[0] << ": not implemented yet\n";
  return 1;
}

}  // namespace sremon::services
