#include "config/registry.h"

namespace riposte::config {

Result<void> Registry::addType(const std::string& kind, const std::string& type, Schema item) {
  auto& m = types_[kind];
  if (m.count(type))
    return fail("DuplicateConfigType", kind + " type '" + type + "' is registered twice");
  m.emplace(type, std::make_shared<const Schema>(std::move(item)));
  return {};
}

Result<void> Registry::addDirectory(DirectoryParser parser) {
  for (const auto& d : directories_)
    if (d.dir == parser.dir)
      return fail("DuplicateConfigType", "directory '" + parser.dir + "' is registered twice");
  directories_.push_back(std::move(parser));
  return {};
}

const std::map<std::string, std::shared_ptr<const Schema>>& Registry::types(
    const std::string& kind) const {
  static const std::map<std::string, std::shared_ptr<const Schema>> none;
  auto it = types_.find(kind);
  return it == types_.end() ? none : it->second;
}

Schema Registry::tagged(const std::string& kind, const std::string& tag, std::string doc) const {
  std::vector<std::pair<std::string, std::shared_ptr<const Schema>>> variants;
  for (const auto& [name, s] : types(kind)) {
    Schema v = *s;
    if (v.field(tag) == nullptr) {
      v.fields.insert(v.fields.begin(),
                      Field(tag, Schema::string("the " + kind + " type")).needed());
    }
    variants.emplace_back(name, std::make_shared<const Schema>(std::move(v)));
  }
  return Schema::tagged(tag, std::move(variants), std::move(doc));
}

Schema Registry::listsByType(const std::string& kind, std::string doc) const {
  std::vector<Field> fields;
  for (const auto& [name, s] : types(kind)) fields.emplace_back(name, Schema::list(*s, s->doc));
  return Schema::object(std::move(fields), std::move(doc));
}

}  // namespace riposte::config
