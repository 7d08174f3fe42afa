#pragma once
// SIEM sinks: deliver the store's audit log (store::AuditRecord) to Splunk HEC, syslog and
// JSON-lines files, at least once, from a durable cursor per sink (see runner.h).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aws/client.h"
#include "config/registry.h"
#include "config/schema.h"
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
  // true: the first time it runs (no cursor yet), the sink starts at the end of the audit log
  // instead of its beginning (notifications tell people what happens from then on).
  virtual bool startsAtHead() const { return false; }
};

// What sinks get from the running riposte besides their item: the signed approval links of an
// approval.requested record (engine::Engine::approvalLinks; empty object when links are off)
// and the AWS client the sns sink publishes with (null: none configured).
struct SinkContext {
  std::function<json::object(const json::object& requested)> approval_links;
  std::shared_ptr<aws::Client> aws;
};

// Builds one sink from its config item: a JSON object held to the type's schema already (its
// defaults written in, so every field the schema defaults is there). `where` names the item in
// errors ("sinks[1] (splunk)").
using SinkFactory = std::function<Result<std::unique_ptr<Sink>>(
    const json::object& item, const std::string& where, const SinkContext& ctx)>;

// Name-keyed sink types (STYLE.md item 3): each with the schema of its items (config/schema.h:
// the keys, their types, ranges and defaults; the one place they are written) and its factory.
// Not thread-safe; fill it at startup.
class SinkRegistry {
 public:
  // Fails with "DuplicateSinkType" if `type` is already registered.
  Result<void> add(const std::string& type, config::Schema schema, SinkFactory factory);
  // The factory for `type`, or an "UnknownSinkType" error listing the known ones.
  Result<const SinkFactory*> find(const std::string& type) const;
  std::vector<std::string> types() const;
  // Registers every type's schema as a "sink" type of `registry` (riposte.yaml `sinks:`).
  Result<void> registerConfig(config::Registry& registry) const;
  // The schema of riposte.yaml's `sinks:`: a list of items picked by `type`, names unique.
  config::Schema schema() const;

 private:
  struct Type {
    config::Schema schema;
    SinkFactory factory;
  };
  std::map<std::string, Type> types_;
};

// Registers the built-in sinks: "file", "splunk_hec", "syslog", "webhook", "sns".
Result<void> registerBuiltinSinks(SinkRegistry& registry);
// The built-in sinks' schemas as "sink" types of `registry` (what the loader checks with).
Result<void> registerConfig(config::Registry& registry);

// Builds the sinks of `sinks_config` (the JSON form of riposte.yaml's `sinks:`: a list of
// objects; null means none), after holding it to the registry's schema: every problem is in
// the error (code "InvalidSinkConfig"), one per line, "sinks[1].token: is required".
Result<std::vector<std::unique_ptr<Sink>>> makeSinks(const json::value& sinks_config,
                                                     const SinkRegistry& registry,
                                                     const SinkContext& ctx = {});
// The same with a registry of the built-in sinks.
Result<std::vector<std::unique_ptr<Sink>>> makeSinks(const json::value& sinks_config,
                                                     const SinkContext& ctx = {});

// Reads `sinks:` from <config_dir>/riposte.yaml (null when absent), expanding ${VAR} and
// ${VAR:-default} from the environment in string values (so tokens need not be in the file).
Result<json::value> loadSinksConfig(const std::string& config_dir);

}  // namespace riposte::sinks
