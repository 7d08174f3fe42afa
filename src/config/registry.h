#pragma once
// Where the modules that own a part of the configuration register it, so that the loader
// (engine::loadConfiguration) checks it without knowing the module:
//
//  - item types of a kind: each sink type ("splunk_hec", "syslog", "file") and each source
//    type ("sqs") registers the schema of its own items (sinks::registerConfig,
//    sources::registerConfig). riposte.yaml's `sinks:` is a list of mappings picked by `type`
//    among the "sink" types; `sources:` maps each "source" type to a list of its items.
//  - directories of files parsed by a module: policies/*.yaml (issue 11). A module adds
//
//      registry.addDirectory({"policies", {".yaml", ".yml"}, "suppressions, limits, …",
//                             [](const json::value& file) { return policy::parse(file).problems;
//                             }});
//
//    and every file of the directory is read (positions, ${VAR}), handed to the parser as
//    JSON, and each {path, message} it returns is located in the file. The typed settings are
//    the module's: engine::loadConfiguration keeps each file's value (Config::directories) for
//    the module's parser to build them again from (parsers are pure: same value, same result).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/schema.h"
#include "core/result.h"

namespace riposte::config {

struct DirectoryParser {
  std::string dir;                    // under the configuration directory ("policies")
  std::vector<std::string> suffixes;  // file name endings (".yaml", ".yml")
  std::string doc;                    // one line, for the reference
  ValueParser parse;                  // each file's value → its problems
};

class Registry {
 public:
  // Fails ("DuplicateConfigType") when `kind`/`type` is registered already.
  Result<void> addType(const std::string& kind, const std::string& type, Schema item);
  Result<void> addDirectory(DirectoryParser parser);

  // The registered types of `kind`, by name.
  const std::map<std::string, std::shared_ptr<const Schema>>& types(const std::string& kind) const;
  // A schema for one item of `kind`, picked by its `tag` member among the registered types
  // (each type's schema gets the tag as a required string field).
  Schema tagged(const std::string& kind, const std::string& tag, std::string doc) const;
  // An object with one optional field per registered type of `kind`, each a list of items.
  Schema listsByType(const std::string& kind, std::string doc) const;
  const std::vector<DirectoryParser>& directories() const { return directories_; }

 private:
  std::map<std::string, std::map<std::string, std::shared_ptr<const Schema>>> types_;
  std::vector<DirectoryParser> directories_;
};

}  // namespace riposte::config
