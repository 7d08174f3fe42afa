#pragma once
// Publishing back to GuardDuty (policy/threat_config.h `threat_intel.publish`): riposte keeps
// one S3 object, in GuardDuty's TXT format, with the addresses it blocks now, and a GuardDuty
// ThreatIntelSet that points at it, so GuardDuty raises findings for any further traffic with
// those addresses anywhere it watches.
//
//   BlockPublisher pub(store, clock, metrics);
//   pub.configure(cfg.threat_intel.publish, cfg.default_region, aws_client, block_actions);
//   pub.sync();        // after a block or a release (the engine calls it), and at start
//
// What "blocked now" is: every action record of an action that blocks an address
// (actions::Descriptor::blocked_address: aws.ec2.blockIp, aws.wafv2.blockIp) whose status is
// "succeeded" (it changed something; release marks it "released"), read from the store, so
// every worker sharing the store publishes the same set. An entry blockIp evicted from its
// network ACL later (output "evicted") is no longer blocked there. One line per address
// ("198.51.100.7", or a CIDR), sorted, no comments (GuardDuty's TXT format has none).
//
// sync() writes the object when the set differs from what this process last wrote (or with
// `force`), then makes GuardDuty read it: it finds the detector's ThreatIntelSet of the
// configured name (ListThreatIntelSets, GetThreatIntelSet; the id is then kept), creates it
// when there is none (CreateThreatIntelSet: format TXT, the object's https:// URL as
// location, activate, a client token derived from detector and name so two workers create
// one), or else updates it (UpdateThreatIntelSet with location and activate: GuardDuty reads
// a changed list again when its set is updated). Every failure is returned, counted
// (riposte_threat_publish_failures_total{step}), logged, and tried again a minute later (the
// engine syncs after a pass of its loop when due()).
//
// Thread-safety: sync() calls are serialised; status() never waits for one.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/client.h"
#include "core/clock.h"
#include "core/json.h"
#include "engine/metrics.h"
#include "policy/threat_config.h"
#include "store/store.h"

namespace riposte::engine {

class BlockPublisher {
 public:
  BlockPublisher(store::Store& store, const Clock& clock, Metrics& metrics);
  static void declareMetrics(Metrics& m);

  // `publish` nullopt: nothing is published. `block_actions`: the names of the actions that
  // block an address (from their descriptors). `aws` signs the S3 and GuardDuty calls.
  void configure(std::optional<policy::PublishConfig> publish, std::string default_region,
                 std::shared_ptr<aws::Client> aws, std::vector<std::string> block_actions);
  bool configured() const;

  // The addresses blocked now, as the store says (sorted, each once).
  Result<std::vector<std::string>> blockedAddresses();
  // The TXT text of a set of addresses: one a line.
  static std::string txt(const std::vector<std::string>& addresses);

  // Publishes (see the top). {"addresses": n, "written": bool, "threatIntelSetId": id,
  // "created": bool}. Error: the first step that failed (its AWS code).
  Result<json::value> sync(bool force = false);
  // Asks for a sync at the next chance (the engine calls due() after each pass).
  void markDirty();
  // A sync was asked for and, when the last one failed, a minute has passed since.
  bool due() const;

  // {"location", "detectorId", "name", "threatIntelSetId", "addresses", "publishedAt",
  //  "lastResult", "lastError", "description"} or null when not configured.
  json::value statusJson() const;

 private:
  Result<std::string> ensureSet(const aws::Client& aws, const policy::PublishConfig& p,
                                const std::string& region, const std::string& location,
                                bool& created);

  store::Store& store_;
  const Clock& clock_;
  Metrics& metrics_;

  std::mutex sync_mu_;
  mutable std::mutex mu_;  // the fields below
  std::optional<policy::PublishConfig> publish_;
  std::string default_region_;
  std::shared_ptr<aws::Client> aws_;
  std::vector<std::string> block_actions_;
  std::string set_id_;                  // the ThreatIntelSet found or created
  std::optional<std::string> written_;  // the text last written to S3
  std::size_t addresses_ = 0;
  int64_t published_ms_ = 0;
  std::string last_result_, last_error_;
  bool dirty_ = false;
  int64_t retry_at_ms_ = 0;  // after a failure: no sync before then
};

}  // namespace riposte::engine
