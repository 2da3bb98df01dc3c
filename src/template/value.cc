// The template data model (template.h).
#include <cmath>

#include "template/template.h"
#include "util/strings.h"

namespace sremon::tmpl {

namespace {
const std::string kEmptyString;
const List kEmptyList;
const Map kEmptyMap;
}  // namespace

Value::Value(std::string s) : kind_(Kind::kString), p_(std::make_shared<const std::string>(std::move(s))) {}
Value::Value(List l) : kind_(Kind::kList), p_(std::make_shared<const List>(std::move(l))) {}
Value::Value(Map m) : kind_(Kind::kMap), p_(std::make_shared<const Map>(std::move(m))) {}
Value::Value(Function f) : kind_(Kind::kFunc), p_(std::make_shared<const Function>(std::move(f))) {}

double Value::as_number() const {
  if (kind_ == Kind::kInt) return static_cast<double>(i_);
  if (kind_ == Kind::kFloat) return d_;
  return 0;
}

const std::string& Value::as_string() const {
  return kind_ == Kind::kString ? *static_cast<const std::string*>(p_.get()) : kEmptyString;
}
const List& Value::as_list() const {
  return kind_ == Kind::kList ? *static_cast<const List*>(p_.get()) : kEmptyList;
}
const Map& Value::as_map() const {
  return kind_ == Kind::kMap ? *static_cast<const Map*>(p_.get()) : kEmptyMap;
}
const Function* Value::as_func() const {
  return kind_ == Kind::kFunc ? static_cast<const Function*>(p_.get()) : nullptr;
}

const Value* Value::Field(std::string_view name) const {
  if (kind_ == Kind::kMap) {
    const Map& m = as_map();
    auto it = m.find(name);
    if (it != m.end()) return &it->second;
  }
  if (methods_) {
    auto it = methods_->find(name);
    if (it != methods_->end()) return &it->second;
  }
  return nullptr;
}

bool Value::Truthy() const {
  switch (kind_) {
    case Kind::kNull: return false;
    case Kind::kBool: return b_;
    case Kind::kInt: return i_ != 0;
    case Kind::kFloat: return d_ != 0;
    case Kind::kString: return !as_string().empty();
    case Kind::kList: return !as_list().empty();
    case Kind::kMap: return !as_map().empty();
    case Kind::kFunc: return true;
  }
  return false;
}

std::string Value::ToString() const {
  switch (kind_) {
    case Kind::kNull: return "<no value>";
    case Kind::kBool: return b_ ? "true" : "false";
    case Kind::kInt: return std::to_string(i_);
    case Kind::kFloat: return FormatFloatG(d_);
    case Kind::kString: return as_string();
    case Kind::kList: {
      std::string out = "[";
      bool first = true;
      for (const Value& v : as_list()) {
        if (!first) out += ' ';
        first = false;
        out += v.is_null() ? "<nil>" : v.ToString();
      }
      return out + "]";
    }
    case Kind::kMap: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, v] : as_map()) {
        if (!first) out += ' ';
        first = false;
        out += k + ":" + (v.is_null() ? "<nil>" : v.ToString());
      }
      return out + "]";
    }
    case Kind::kFunc: return "<func>";
  }
  return "";
}

const char* Value::TypeName() const {
  switch (kind_) {
    case Kind::kNull: return "nil";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float64";
    case Kind::kString: return "string";
    case Kind::kList: return "slice";
    case Kind::kMap: return "map";
    case Kind::kFunc: return "func";
  }
  return "?";
}

Value LabelsToMap(const std::vector<std::pair<std::string, std::string>>& labels) {
  Map m;
  for (const auto& [k, v] : labels) m.emplace(k, Value(v));
  return Value(std::move(m));
}

}  // namespace sremon::tmpl
