#pragma once
// SIEM sinks: deliver the store's audit log (store::AuditRecord) to Splunk HEC, syslog and
// JSON-lines files, at least once, from a durable cursor per sink (see runner.h).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace riposte::sinks {

using store::AuditRecord;

// Error codes a Sink returns from send():
//   "SinkUnavailable": the destination could not take the batch now (down, timeout, 5xx, no
//                      ack); the runner retries the same batch with backoff.
//   "SinkRejected":    the destination refused the batch as malformed (HEC 400); retrying it
//                      as is cannot succeed. The runner isolates the bad record(s), logs and
//                      counts them.
inline constexpr const char* kSinkUnavailable = "SinkUnavailable";
inline constexpr const char* kSinkRejected = "SinkRejected";

// One destination. send() delivers every record of the batch (in order) or fails; on success
// they are durable at the destination as far as its protocol can say (fsync, TCP write, HEC
// ack). Not thread-safe: one SinkRunner calls it from one thread.
class Sink {
 public:
  virtual ~Sink() = default;
  // The configured name (unique among sinks; keys the durable cursor).
  virtual const std::string& name() const = 0;
  virtual Result<void> send(const std::vector<AuditRecord>& batch) = 0;
};

// Builds one sink from its config item (a JSON object: `type`, `name` and the type's fields).
// `where` names the item in errors ("sinks[1] (splunk)").
using SinkFactory = std::function<Result<std::unique_ptr<Sink>>(const json::object& item,
                                                                const std::string& where)>;

// Name-keyed sink factories (STYLE.md item 3). Not thread-safe; fill it at startup.
class SinkRegistry {
 public:
  // Fails with "DuplicateSinkType" if `type` is already registered.
  Result<void> add(const std::string& type, SinkFactory factory);
  // The factory for `type`, or an "UnknownSinkType" error listing the known ones.
  Result<const SinkFactory*> find(const std::string& type) const;
  std::vector<std::string> types() const;

 private:
  std::map<std::string, SinkFactory> factories_;
};

// Registers the built-in sinks: "file", "splunk_hec", "syslog".
Result<void> registerBuiltinSinks(SinkRegistry& registry);

// Builds the sinks of `sinks_config` (the JSON form of riposte.yaml's `sinks:`: a list of
// objects; null means none). Errors (code "InvalidSinkConfig" / "UnknownSinkType") name the
// item and field: "sinks[1] (splunk): field 'token' is required".
Result<std::vector<std::unique_ptr<Sink>>> makeSinks(const json::value& sinks_config,
                                                     const SinkRegistry& registry);
// The same with a registry of the built-in sinks.
Result<std::vector<std::unique_ptr<Sink>>> makeSinks(const json::value& sinks_config);

// Reads `sinks:` from <config_dir>/riposte.yaml (null when absent), expanding ${VAR} and
// ${VAR:-default} from the environment in string values (so tokens need not be in the file).
Result<json::value> loadSinksConfig(const std::string& config_dir);

}  // namespace riposte::sinks
