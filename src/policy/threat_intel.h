#pragma once
// Threat-intelligence lists: named lists of IPv4/IPv6 addresses and CIDRs, each with a
// verdict (malicious or trusted); the look-up "which lists contain this address"; and the
// enrichment of an event before it is matched, so that rules and playbooks can use it.
//
//   // 1. Read the lists (policy/threat_list.h: GuardDuty TXT, CSV; bad lines reported).
//   auto tor = policy::parseTxtList(tor_exits_txt);             // Result<ParsedList>
//   // 2. Build the index once, swap it in atomically.
//   policy::ThreatIntelBuilder b;
//   b.add("tor-exits", policy::Verdict::kMalicious, tor->entries);
//   b.add("corp-egress", policy::Verdict::kTrusted, corp->entries);
//   policy::ThreatIntelHolder current;                          // shared by every thread
//   current.replace(b.build());
//   // 3. Look up, or enrich an event before matching it.
//   auto intel = current.get();                                 // shared_ptr<const ThreatIntel>
//   const policy::ListMatch& m = intel->lookup(*policy::IpAddress::make("203.0.113.9"));
//   std::string to_match;
//   intel->enrich(event_json, to_match);   // + "riposte":{"threatIntel":{"malicious":[…],…}}
//   rules->matchString(to_match);          // a rule may say {"riposte":{"threatIntel":
//                                          //   {"malicious":["tor-exits"]}}}
//
// Enrichment. enrich() looks up every remote address the event carries (extractRemote-
// Addresses, below) and returns the event's JSON with one root member set:
//   "riposte": {"threatIntel": {"malicious": [names], "trusted": [names]}}
// the names of the lists containing any of those addresses, by verdict, sorted (byte order)
// and each once; both arrays are present, empty when nothing matched or no address was
// found. The text it returns is what the pattern matcher sees; the stored event body is not
// changed. `riposte` is riposte's namespace: whatever the event carried under a root
// "riposte" key (a forged riposte.threatIntel, or anything else) is removed from the text to
// match, and only riposte's own member is there. Every other byte of the event is kept as it
// was (the member is appended after the last one). An address in both a malicious and a
// trusted list is reported in both arrays: no precedence is applied here (GuardDuty's own
// lists give the trusted list precedence; a rule or policy decides).
//
// Remote addresses (remoteAddressFields() lists them, the one table the walker reads):
//   GuardDuty finding events, under detail.service.action:
//     networkConnectionAction / awsApiCallAction / kubernetesApiCallAction /
//     rdsLoginAttemptAction .remoteIpDetails.ipAddressV4 and .ipAddressV6,
//     portProbeAction.portProbeDetails[].remoteIpDetails.ipAddressV4 / .ipAddressV6,
//     kubernetesApiCallAction.sourceIPs[] (the API's wire name; "sourceIps" is read too).
//     dnsRequestAction carries a domain and no address. localIpDetails are the resource's own.
//   Security Hub findings events (ASFF), under each detail.findings[]:
//     Action.NetworkConnectionAction / AwsApiCallAction .RemoteIpDetails.IpAddressV4,
//     Action.PortProbeAction.PortProbeDetails[].RemoteIpDetails.IpAddressV4, and
//     Network.SourceIpV4/V6 and DestinationIpV4/V6 by Network.Direction: with "IN" the
//     source is the remote end, with "OUT" the destination; with no (or another) Direction
//     both ends are looked up. (ASFF's network fields carry both ends of a flow, one being
//     the resource's own address: a trusted list holding the VPC's range must not make an
//     inbound attack look trusted.)
//   Each value is validated once (IpAddress::make): what is not one address ("not-an-ip",
//   "0.0.0.0/0", a number) is skipped and counted, never an error; null is absent.
//
// Look-up (bench/policy/threat_intel_bench.cpp; figures in docs/performance.md): the lists'
// CIDRs are cut into disjoint ranges labelled by the set of lists covering them, found
// through a radix table and a search of one or two cache lines; 13 bytes per IPv4 CIDR and
// 40-50 per IPv6 CIDR at 1,000,000 CIDRs, built in 0.4-0.6 s.
//
// Cost of enrichment, two ways:
//   enrich(text): a forward cursor reads the root's keys and the members on the paths above
//     and skips every other value in bulk (64 bytes at a time); the look-ups; one copy. On
//     a 5 KB GuardDuty finding it costs about what matching the event does: it reads the
//     event a second time.
//   remoteAddressesOf(dom) at ingest + appendThreatIntel(body) at match time: the sources
//     hold every event's DOM before they store it, so reading the addresses there costs a
//     few hash look-ups (~5 % of that parse); at match time only the look-ups and an append
//     in place remain (~4 % of matching the same 5 KB event). The engine needs the
//     addresses (and root_riposte) kept with the stored event for this.
// A deployment whose rules never name riposte.* needs neither for matching (a forged member
// can make no rule match then); a playbook's input can take the member from the DOM the
// engine builds it from.
//
// Limits: list names are 1-128 bytes of [A-Za-z0-9._-], unique; at most 65,535 lists; any
// number of entries (the file limits are the parsers'). An event is at most what the caller
// accepts (riposte: 256 KB), and the addresses in it are all looked up.
//
// Thread-safety: ThreatIntel is immutable; lookup() and enrich() may run on many threads at
// once. ThreatIntelHolder's get() and replace() are atomic (readers keep the index they got
// alive until they drop it). ThreatIntelBuilder is not thread-safe.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "policy/ip.h"
#include "policy/threat_list.h"

namespace riposte::policy {

enum class Verdict : uint8_t { kMalicious, kTrusted };
// "malicious", "trusted".
std::string_view verdictName(Verdict v);
// From a configured name. Error "InvalidVerdict" naming both.
Result<Verdict> verdictFromName(std::string_view name);

// The lists one address (or one event) is in, by verdict: names sorted, each once.
struct ListMatch {
  std::vector<std::string> malicious;
  std::vector<std::string> trusted;
  bool empty() const { return malicious.empty() && trusted.empty(); }
  friend bool operator==(const ListMatch&, const ListMatch&) = default;
};

// The remote addresses of an event, in the order found, each once.
struct RemoteAddresses {
  std::vector<IpAddress> addresses;
  std::size_t skipped = 0;  // values on those paths that were not one IP address
};

// One field the extraction reads: its path from the event's root ("[]" = every element of
// an array) and what it means.
struct RemoteAddressField {
  std::string path;  // "detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4"
  std::string note;  // "" or a condition ("remote when Network.Direction is IN or absent")
};
const std::vector<RemoteAddressField>& remoteAddressFields();

// The remote addresses of one event (an EventBridge event: GuardDuty finding or Security Hub
// findings). Error "InvalidEvent" when the text is not a JSON object or is malformed where
// the cursor reads it.
Result<RemoteAddresses> extractRemoteAddresses(std::string_view event_json);

// The same reading from a parsed event, for the sources, which hold every event's DOM before
// they store it: the addresses (in field-table order, each once), and whether the root
// carries a "riposte" member. With ThreatIntel::appendThreatIntel, enrichment then costs
// the look-ups and an append at match time (no second reading of the event).
struct EventAddresses {
  RemoteAddresses remote;
  bool root_riposte = false;
};
EventAddresses remoteAddressesOf(const json::value& event);

class ThreatIntel {
 public:
  struct ListInfo {
    std::string name;
    Verdict verdict;
    std::size_t entries;  // CIDRs given to the builder (duplicates included)
  };
  struct Stats {
    std::size_t lists = 0;
    std::size_t cidrs = 0;          // entries of every list
    std::size_t boundaries_v4 = 0;  // disjoint ranges the index holds
    std::size_t boundaries_v6 = 0;
    std::size_t list_sets = 0;     // distinct combinations of lists an address can be in
    std::size_t radix_tables = 0;  // the index's tables (1 per family, + 1 per crowded slice)
    std::size_t index_bytes = 0;   // the look-up structure (ranges, tables)
  };
  struct EnrichStats {
    std::size_t addresses = 0;  // address values looked up (a repeat counts each time)
    std::size_t skipped = 0;    // values that were not one IP address
    bool replaced = false;      // the event carried a root "riposte" member (now removed)
  };

  ~ThreatIntel();
  ThreatIntel(const ThreatIntel&) = delete;
  ThreatIntel& operator=(const ThreatIntel&) = delete;

  // No list: every look-up is empty (enrich() still sets riposte.threatIntel).
  static std::shared_ptr<const ThreatIntel> empty();

  // The lists containing `a`. The reference lives as long as this ThreatIntel.
  const ListMatch& lookup(const IpAddress& a) const;

  // Writes into `out` (cleared first; its capacity is reused) the JSON to match for
  // `event_json`, as described at the top, with pattern::RuleSet::kPadding spare bytes
  // reserved after it (RuleSet::matchString then parses it in place). Errors as
  // extractRemoteAddresses; `out` is then empty.
  Result<EnrichStats> enrich(std::string_view event_json, std::string& out) const;
  Result<std::string> enrich(std::string_view event_json) const;

  // enrich() for an event whose addresses were read when it was ingested (remoteAddressesOf
  // on its DOM): appends the member to `event_json` in place, after its last member (give
  // the string spare capacity to spare a copy; kPadding is reserved after it). When the
  // event carried its own root "riposte" member, it is cut out as enrich() does. Error
  // "InvalidEvent" when the text does not end like a JSON object (the string is unchanged).
  // Precondition: `addresses` were read from this event.
  Result<EnrichStats> appendThreatIntel(std::string& event_json,
                                        const EventAddresses& addresses) const;

  // Why enrichment sets what it sets for one event (simulate and replay show it): every remote
  // address the event carries (extractRemoteAddresses' order, each once) with the lists
  // holding it, and their union by verdict, which is exactly the riposte.threatIntel member
  // enrich() adds. Errors as extractRemoteAddresses.
  struct AddressVerdict {
    IpAddress address;
    ListMatch lists;
  };
  struct EventVerdict {
    std::vector<AddressVerdict> addresses;
    ListMatch lists;
    std::size_t skipped = 0;  // values on the address paths that were not one address
  };
  Result<EventVerdict> explain(std::string_view event_json) const;

  // The trusted lists holding any address of `c` (sorted, each once): a list with a range
  // that contains `c`, lies within it, or crosses it. Blocking 10.0.0.0/8 when 10.1.2.3 is
  // trusted overlaps; so does blocking 10.1.2.3 when 10.0.0.0/8 is. The trusted lists' ranges
  // are kept a second time, whole, for this (a binary search; trusted lists are small).
  std::vector<std::string> trustedOverlapping(const Cidr& c) const;

  const std::vector<ListInfo>& lists() const;
  Stats stats() const;

  struct Impl;  // internal (threat_intel.cpp)

 private:
  friend class ThreatIntelBuilder;
  explicit ThreatIntel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class ThreatIntelBuilder {
 public:
  ThreatIntelBuilder();
  ~ThreatIntelBuilder();
  // Adds one list. Errors: "InvalidListName" (empty, too long, a byte outside
  // [A-Za-z0-9._-]), "DuplicateList" (the name is taken), "TooManyLists".
  Result<void> add(std::string name, Verdict verdict, std::vector<Cidr> entries);
  std::size_t size() const;
  // Builds an immutable index of every list added so far (the builder may be reused).
  std::shared_ptr<const ThreatIntel> build() const;

 private:
  struct List;
  std::vector<List> lists_;
};

// The index in use, swapped atomically when lists change.
class ThreatIntelHolder {
 public:
  explicit ThreatIntelHolder(std::shared_ptr<const ThreatIntel> initial = ThreatIntel::empty());
  std::shared_ptr<const ThreatIntel> get() const { return current_.load(); }
  // Precondition: next != nullptr.
  void replace(std::shared_ptr<const ThreatIntel> next) { current_.store(std::move(next)); }

 private:
  std::atomic<std::shared_ptr<const ThreatIntel>> current_;
};

}  // namespace riposte::policy
