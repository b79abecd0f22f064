// Names of parameter types as they appear in validation messages and `wq list`.
#include "core/config/registry.h"

namespace wq {

const char* param_type_name(ParamType type) {
  switch (type) {
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "int";
    case ParamType::Float: return "float";
    case ParamType::String: return "string";
    case ParamType::IntList: return "list of int";
    case ParamType::FloatList: return "list of float";
    case ParamType::StringList: return "list of string";
    case ParamType::Path: return "path";
    case ParamType::Map: return "map";
  }
  return "unknown";
}

}  // namespace wq
