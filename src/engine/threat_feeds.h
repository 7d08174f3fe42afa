#pragma once
// The engine's side of threat intelligence (policy/threat_config.h says which lists; the
// policy module parses and indexes them, this file fetches): every configured list is read
// from its source — a local file, an S3 object (SigV4 GET through aws::Client, path-style
// https://s3.<region>.amazonaws.com/<bucket>/<key>, or AWS_ENDPOINT_URL(_S3)), an HTTPS URL
// (aws::HttpTransport, libcurl: TLS verified against the system's store, or the list's
// `ca_file`; HTTPS_PROXY honoured) — parsed, and the lists
// are indexed together into one policy::ThreatIntel swapped in atomically.
//
//   ThreatFeeds feeds(clock, metrics);
//   feeds.configure(cfg.dir, cfg.threat_intel, cfg.default_region, aws_client);
//   feeds.refreshDue();                     // the lists whose time has come (all, at first)
//   auto intel = feeds.intel();             // shared_ptr<const policy::ThreatIntel>
//   feeds.start();                          // or: a thread that refreshes on each interval
//
// Refresh. Each list is read again every `refresh` with a conditional request: HTTPS and S3
// send If-None-Match with the last ETag, or If-Modified-Since with the last Last-Modified when
// the source sent no ETag (never both: RFC 9110 has a server ignore If-Modified-Since beside
// If-None-Match, and one that does not would hide a change made within the same second), and
// a 304 Not Modified keeps the copy (confirmed current: its age starts again); a file is read
// again when its size or modification time changed. A list that cannot be fetched or parsed
// (transport error, an HTTP or AWS error, a body that is no list: policy::parseList's
// InvalidList / ListTooLarge) keeps its last good copy: the failure is counted
// (riposte_threat_list_fetch_failures_total{list}), logged ("threat list fetch failed", with
// the copy kept), shown in status(), and the list is tried again at its next interval. A list
// with lines that are not addresses is good: the bad lines are counted and logged.
//
// A trusted list that has never been read (no good copy since start) cannot protect anything:
// trustedUnavailable() names it, and the engine refuses the actions that block an address
// while it does (fail closed), saying why.
//
// Metrics (declareMetrics): riposte_threat_list_fetches_total{list,result} (ok, not_modified,
// failed), riposte_threat_list_fetch_failures_total{list}, riposte_threat_list_entries{list}
// (entries of the copy in use), riposte_threat_list_age_seconds{list} (since the copy in use
// was last fetched or confirmed; updated by updateGauges()), riposte_threat_list_loaded{list}
// (1 when a good copy is in use).
//
// Durable copies. Given a store, the last good copy of every remote list (S3, HTTPS) is kept
// there too (store::ThreatListCopy: the parsed entries, the source's validators, when it was
// read), under its name and ThreatListConfig::fetchKey(): a restart, or another worker on the
// same store, starts from that copy before its first fetch ("threat list restored", status
// lastResult "restored", its age the copy's), asks the source conditionally with the copy's
// validators, and keeps the copy when the source is down. A copy read under other fetch
// settings (another source, format, column, …) is not used. A confirmation (304) updates the
// copy's time only. A file list needs none: the file is the copy. Store errors are logged and
// counted as riposte_threat_list_copy_errors_total{list}; the list then works from memory.
// Without a store the copies are in memory only.
//
// Thread-safety: every method may be called from any thread; fetches are serialised (one
// refresh at a time), intel() and status() never wait for a fetch.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aws/client.h"
#include "aws/http.h"
#include "core/clock.h"
#include "core/json.h"
#include "engine/metrics.h"
#include "policy/threat_config.h"
#include "policy/threat_intel.h"
#include "store/store.h"

namespace riposte::engine {

// The state of one list, as status() shows it.
struct ThreatListStatus {
  policy::ThreatListConfig config;
  bool loaded = false;              // a good copy is in use
  std::size_t entries = 0;          // of the copy in use
  std::size_t bad_lines = 0;        // of the copy in use
  int64_t fetched_ms = 0;           // the copy in use was fetched or confirmed (304) then
  int64_t changed_ms = 0;           // the copy in use was read then
  int64_t checked_ms = 0;           // the last attempt
  int64_t next_ms = 0;              // the next attempt is due then
  std::string last_result;          // "ok", "not_modified", "failed", "" (not tried yet)
  std::string last_error;           // of the last attempt when it failed
  int64_t failures = 0;             // failed attempts in a row
  std::string etag, last_modified;  // what the next conditional request sends
};

class ThreatFeeds {
 public:
  // `copies` (may be null) keeps the remote lists' last good copies; it outlives this.
  ThreatFeeds(const Clock& clock, Metrics& metrics, store::Store* copies = nullptr);
  ~ThreatFeeds();  // stops the thread
  ThreatFeeds(const ThreatFeeds&) = delete;
  ThreatFeeds& operator=(const ThreatFeeds&) = delete;

  static void declareMetrics(Metrics& m);

  // The transport HTTPS lists are read through (tests: a local server); default libcurl.
  void setTransport(std::shared_ptr<aws::HttpTransport> transport);

  // Sets the lists (at start and on every reload). A list whose fetch settings are unchanged
  // (same name, ThreatListConfig::sameFetch) keeps its copy and its schedule (a new refresh
  // interval applies from its next attempt); a new or changed one is due at once; a removed
  // one is dropped. The index is rebuilt when the set of lists changed. `config_dir` resolves
  // relative file paths; `default_region` is the region of an S3 list that names none; `aws`
  // (may be null: S3 lists then fail with NoCredentials) signs the S3 requests.
  void configure(const std::string& config_dir, const policy::ThreatIntelConfig& config,
                 const std::string& default_region, std::shared_ptr<aws::Client> aws);

  // Fetches every list due now (all of them with `force`), then swaps in a new index if any
  // list's copy changed. Returns the number of lists attempted.
  int refresh(bool force = false);

  // The index in use (never null; empty when no list is loaded).
  std::shared_ptr<const policy::ThreatIntel> intel() const { return holder_.get(); }
  // True when some list is configured.
  bool configured() const;
  // The trusted lists without a good copy, by name.
  std::vector<std::string> trustedUnavailable() const;
  std::vector<ThreatListStatus> status() const;
  // {"lists": [{name, verdict, source, format, refresh, loaded, entries, badLines, fetchedAt,
  //  ageSeconds, checkedAt, nextAt, lastResult, lastError, failures, description}]}
  json::value statusJson() const;
  // The earliest time a list is due (nullopt: none configured).
  std::optional<int64_t> nextDueMs() const;
  // Sets riposte_threat_list_age_seconds to what it is now.
  void updateGauges();

  // A thread that calls refresh() whenever a list is due (real time: it sleeps until the
  // earliest next_ms by the clock). stop() (and the destructor) end it.
  void start();
  void stop();

 private:
  struct List;
  struct Fetched;
  Fetched fetch(const List& l) const;
  void rebuild();
  void setGauges(const List& l);

  bool restore(List& l);  // from the store's copy; true when it was used
  void keepCopy(const List& l, const std::string& entries_text, bool confirmed_only);

  const Clock& clock_;
  Metrics& metrics_;
  store::Store* copies_;
  policy::ThreatIntelHolder holder_;

  std::mutex refresh_mu_;  // one configure/refresh at a time (held while fetching)
  mutable std::mutex mu_;  // guards lists_ and the settings below (never held while fetching)
  std::vector<std::shared_ptr<List>> lists_;
  std::string config_dir_, default_region_;
  std::shared_ptr<aws::Client> aws_;
  std::shared_ptr<aws::HttpTransport> transport_;

  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool stop_ = false;
  bool changed_ = false;  // configure() ran: the thread computes its wait again
  std::thread thread_;
};

}  // namespace riposte::engine
