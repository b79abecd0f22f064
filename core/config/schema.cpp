#include "core/config/schema.h"

#include <stdexcept>

namespace wq {

void SchemaSet::add(SectionSchema schema) {
  const char* selector = section_selector(schema.section);
  if (!selector) throw std::logic_error("not a config section: " + schema.section);
  if (schema.selector != selector)
    throw std::logic_error("section " + schema.section + " is selected by '" + selector + "', not '" + schema.selector + "'");
  if (!schema.params_of || !schema.names) throw std::logic_error("incomplete schema for section " + schema.section);
  const std::string section = schema.section;
  sections_[section] = std::move(schema);
}

const SectionSchema* SchemaSet::find(const std::string& section) const {
  auto it = sections_.find(section);
  return it == sections_.end() ? nullptr : &it->second;
}

SchemaSet& global_schemas() {
  // Function-local so that registrations from static initialisers of any file find it built.
  static SchemaSet schemas;
  return schemas;
}

const std::vector<SectionInfo>& config_sections() {
  static const std::vector<SectionInfo> sections = {
      {"experiment", "kind"}, {"method", "name"}, {"model", "name"}, {"dataset", "name"}};
  return sections;
}

const char* section_selector(const std::string& section) {
  for (const auto& info : config_sections())
    if (section == info.section) return info.selector;
  return nullptr;
}

}  // namespace wq
