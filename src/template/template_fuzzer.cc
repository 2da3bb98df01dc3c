// libFuzzer target: parsing and executing arbitrary template text never crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "template/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sremon::tmpl;
  static const FuncMap funcs = PrometheusFuncs();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = Template::Parse("fuzz", text, funcs);
  if (!t.ok()) return 0;
  Map labels{{"job", Value("api")}, {"instance", Value("host:9090")}};
  Map data_map{{"Labels", Value(labels)}, {"Value", Value(1.5)}, {"Items", Value(List{Value(1), Value("a")})}};
  (void)t->Execute(Value(std::move(data_map)));
  return 0;
}
