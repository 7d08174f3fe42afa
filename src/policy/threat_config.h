#pragma once
// The `threat_intel:` section of policies/*.yaml: which threat-intelligence lists riposte
// reads (policy/threat_list.h parses them, policy/threat_intel.h indexes them), where from,
// how often, and where riposte publishes the addresses it blocks for GuardDuty. Pure: the
// parser reads a JSON value (YAML already converted, ${VAR} expanded) and returns every
// problem with its path; the engine fetches (engine/threat_feeds.h) and publishes.
//
//   threat_intel:
//     lists:
//       - name: tor-exits                     # 1-128 of A-Z a-z 0-9 . _ -, unique
//         verdict: malicious                  # malicious | trusted
//         source: https://feeds.example.com/tor-exits.txt
//         ca_file: certs/feeds-ca.pem         # https only: the CA bundle that verifies the
//                                             #   server (default: the system's store)
//         format: txt                         # txt (GuardDuty's plaintext, the default) | csv
//         refresh: 1h                         # 30s … 7d; default 1h (at least 1m when remote)
//       - name: corp-egress
//         verdict: trusted
//         source: s3://corp-secops/lists/egress.csv   # SigV4 GET (path-style URL)
//         region: eu-west-1                   # the bucket's region (default aws.region)
//         format: csv
//         csv: {column: ip, header: present}  # column by name or column_index; header
//                                             #   auto (default) | present | absent
//       - name: scanners
//         verdict: trusted
//         source: lists/scanners.txt          # a file; relative to the configuration dir
//         max_entries: 1000                   # default 250000 (GuardDuty's quota per list)
//     publish:                                # optional: what riposte blocks, for GuardDuty
//       location: s3://corp-secops/riposte/blocked.txt   # the TXT object riposte keeps
//       detector_id: 12abc34d567e8fa901bc2d34e56789f0    # the GuardDuty detector
//       name: riposte-blocked                 # the ThreatIntelSet's name (default)
//       activate: true                        # default true
//       region: us-east-1                     # default aws.region
//
// `threat_intel` may appear in several policies files: their lists add up (names unique
// across all of them); `publish` is given once at most (the loader checks both).
//
// Sources: "s3://bucket/key" (a bucket name as S3 names them: 3-63 of a-z 0-9 . -), an
// "https://" URL, an "http://" URL only to a loopback host (127.0.0.1, [::1], localhost: a
// local mirror; anywhere else a list read in clear could be rewritten on the way), or a file
// path. A URL with a user name or password in it is refused (it would be logged and shown).
//
// Thread-safety: pure functions over values.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "policy/problem.h"
#include "policy/threat_intel.h"
#include "policy/threat_list.h"

namespace riposte::policy {

struct ListSource {
  enum class Kind : uint8_t { kFile, kS3, kHttps };
  Kind kind = Kind::kFile;
  std::string text;         // as configured
  std::string path;         // kFile: as given (relative: to the configuration directory)
  std::string bucket, key;  // kS3
  std::string url;          // kHttps: https://…, or http:// to a loopback host
  bool remote() const { return kind != Kind::kFile; }
  // The source as logs, status and documents show it: a URL's query (which may hold a token
  // from ${VAR}) is replaced by "?…".
  std::string shown() const;
  friend bool operator==(const ListSource&, const ListSource&) = default;
};
// "file", "s3", "https".
std::string_view sourceKindName(ListSource::Kind k);
// Reads one source as described above. Error "InvalidSource" saying why.
Result<ListSource> parseListSource(std::string_view text);

struct ThreatListConfig {
  std::string name;
  Verdict verdict = Verdict::kMalicious;
  ListSource source;
  std::string region;  // kS3: the bucket's region; "" = the configuration's aws.region
  ListFormat format = ListFormat::kTxt;
  CsvOptions csv;
  int64_t refresh_ms = kDefaultRefreshMs;
  std::size_t max_entries = ListLimits::kGuardDutyMaxEntries;
  std::string description;
  // kHttps: a CA bundle (PEM) that verifies the server instead of the system's store; a
  // relative path is relative to the configuration directory. "" = the system's.
  std::string ca_file;

  static constexpr int64_t kDefaultRefreshMs = 3'600'000;
  static constexpr int64_t kMinRemoteRefreshMs = 60'000;
  static constexpr int64_t kMinRefreshMs = 10'000;
  static constexpr int64_t kMaxRefreshMs = 7LL * 86'400'000;
  static constexpr std::size_t kMaxEntries = 5'000'000;

  // What fetching reads (source, region, format and its CSV options, max_entries, ca_file),
  // as a SHA-256 in hex: two configurations with the same key read the same entries, so a
  // last good copy kept under one (store::ThreatListCopy) serves the other. The source's
  // text may hold a secret (a token in a URL's query): only its hash is kept.
  std::string fetchKey() const;
  // Two lists with the same fetch() may share a last good copy.
  bool sameFetch(const ThreatListConfig& o) const { return fetchKey() == o.fetchKey(); }
  // In words, for the runbook: "malicious list tor-exits: https://… (GuardDuty TXT), read
  // again every 1h".
  std::string describe() const;
};

struct PublishConfig {
  ListSource location;  // always kS3
  std::string region;   // "" = the configuration's aws.region
  std::string detector_id;
  std::string name = "riposte-blocked";
  bool activate = true;
  // "https://s3.<region>.amazonaws.com/<bucket>/<key>": the Location GuardDuty is given.
  std::string locationUrl(const std::string& region_in_force) const;
  std::string describe() const;
};

struct ThreatIntelConfig {
  std::vector<ThreatListConfig> lists;
  std::optional<PublishConfig> publish;
  bool empty() const { return lists.empty() && !publish; }
};

// The value of one `threat_intel:` key. Problems are appended with paths from the key
// ("threat_intel.lists[1].source"); what parses is returned (an entry with a problem is left
// out). Unknown keys are errors naming the closest known one.
ThreatIntelConfig parseThreatIntel(const json::value& v, Problems& problems);

}  // namespace riposte::policy
