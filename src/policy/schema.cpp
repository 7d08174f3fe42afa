#include "policy/schema.h"

#include <map>
#include <memory>

#include "policy/limits.h"
#include "policy/threat_config.h"
#include "policy/threat_list.h"

namespace riposte::policy {
namespace {

using config::Field;
using config::Schema;

Schema strings(std::string doc, std::string item = "string") {
  return Schema::list(Schema::string(item), std::move(doc));
}

Schema window(std::string doc) {
  return std::move(Schema::any(std::move(doc)).named("window (30s, 10m, 1h, 7d)"));
}

Schema onLimit(std::string doc) {
  return Schema::oneOf({"approve", "dry_run", "fail"}, std::move(doc));
}

Schema suppressionsSchema() {
  Schema scope = Schema::object(
      {
          Field("accounts", strings("the event's account is one of these", "account id")),
          Field("regions", strings("the event's region is one of these")),
          Field("resource_ids",
                strings("any id of the finding's resource is one of these (i-…, AKIA…, a "
                        "bucket name)")),
          Field("tags", Schema::map(Schema::string("the tag's value"),
                                    "the resource carries any one of these key=value tags")
                            .keyed("tag key")),
      },
      "which resources (dimensions ANDed, the values of one ORed)");
  Schema pattern =
      Schema::any("an EventBridge pattern over the event, as rules' (a mapping, or its JSON text)");
  pattern.type_name = "event pattern";
  Schema match = Schema::object(
      {
          Field("pattern", std::move(pattern)),
          Field("scope", std::move(scope)),
      },
      "what it silences: a pattern and/or a scope (at least one)");
  Schema one = Schema::object(
      {
          Field("name", Schema::string("1 to 56 of A-Z a-z 0-9 . _ -, unique")).needed(),
          Field("reason", Schema::string("why it is accepted (shown wherever it applies)"))
              .needed(),
          Field("owner", Schema::string("who answers for it")).needed(),
          Field("expires",
                std::move(Schema::any("when it stops applying: an RFC 3339 time, or a duration "
                                      "from `created`")
                              .named("time or duration (7d, 12h, 30m)")))
              .defaultText("never (until removed)"),
          Field("created",
                std::move(Schema::any("when it was made (RFC 3339): what a duration `expires` "
                                      "counts from")
                              .named("time"))),
          Field("match", std::move(match)).needed(),
          Field("guardduty",
                Schema::oneOf({"archive"},
                              "archive: also a GuardDuty filter with action ARCHIVE on the "
                              "`guardduty` section's detector (its pattern must map exactly)")),
      },
      "one suppression");
  return Schema::list(std::move(one), "events that open no incident and run no action");
}

Schema limitsSchema() {
  Schema one = Schema::object(
      {
          Field("name", Schema::string("1 to 64 of A-Z a-z 0-9 - _ ., unique")).needed(),
          Field("role", Schema::oneOf({"contain"},
                                      "what it counts: every destructive action (or give action)")),
          Field("action",
                Schema::string("what it counts: one destructive action (aws.ec2.isolateInstance; "
                               "or give role)")),
          Field("per",
                std::move(Schema::any("what it counts per: globally, per account, per region or "
                                      "per both")
                              .named("global | account | region | [account, region]")))
              .needed(),
          Field("max", Schema::integer(1, 1'000'000,
                                       "a rate limit: at most max in any window (or give "
                                       "max_percent)")),
          Field("max_percent",
                std::move(Schema::any("a share cap: at most this % of the running instances of "
                                      "the account and region in any window (per must be "
                                      "[account, region])")
                              .named("number above 0, at most 100"))),
          Field("window", window("the sliding window it counts in")).needed(),
          Field("on_limit", onLimit("what an action over the limit does instead (a rule's "
                                    "on_limit overrides it)"))
              .needed(),
      },
      "one blast-radius limit");
  return Schema::list(std::move(one), "blast-radius limits on destructive actions");
}

Schema breakerSchema() {
  return Schema::object(
      {
          Field("threshold", Schema::integer(1, 1'000'000,
                                             "opens when more than this many executions attempted "
                                             "a destructive action in window"))
              .needed(),
          Field("window", window("the sliding window it counts in")).needed(),
          Field("on_limit", onLimit("what every destructive action does while it is open"))
              .needed(),
      },
      "the circuit breaker (closed by a person: riposte breaker close)");
}

Schema scopeListSchema(std::string doc) {
  return Schema::object(
      {
          Field("accounts", strings("account ids (12 digits, quoted)", "account id")),
          Field("regions", strings("regions")),
          Field("vpcs", strings("VPC ids (vpc-…)", "VPC id")),
          Field("tags", Schema::map(strings("values"), "tag keys and the values that count")
                            .keyed("tag key")),
          Field("resource_ids", strings("resource ids (i-…, AKIA…, a bucket name)")),
      },
      std::move(doc));
}

Schema scopeSchema() {
  return Schema::object(
      {
          Field("allow", scopeListSchema("destructive actions act only on resources in all of "
                                         "these (each dimension given)")),
          Field("deny", scopeListSchema("destructive actions never act on a resource in any of "
                                        "these")),
      },
      "where destructive actions may act, held against the resource's current state");
}

Schema threatIntelSchema() {
  Schema csv = Schema::object(
      {
          Field("column", Schema::string("the column of the addresses, by its header name")),
          Field("column_index",
                Schema::integer(0, 1000, "the column of the addresses, from 0 (or give column)")),
          Field("header",
                Schema::oneOf({"auto", "present", "absent"}, "whether the first line is a header"))
              .byDefault("auto"),
      },
      "where the addresses are in a CSV list");
  Schema list = Schema::object(
      {
          Field("name", Schema::string("1 to 128 of A-Z a-z 0-9 . _ -, unique")).needed(),
          Field("verdict", Schema::oneOf({"malicious", "trusted"},
                                         "malicious: matched on events; trusted: never blocked"))
              .needed(),
          Field("source", std::move(Schema::string("where it is read from (a file relative to the "
                                                   "configuration directory)")
                                        .named("file path, s3://bucket/key or https:// URL")))
              .needed(),
          Field("region", Schema::string("an s3:// source's bucket region"))
              .defaultText("aws.region"),
          Field("format", Schema::oneOf({"txt", "csv"},
                                        "txt: GuardDuty's plaintext, one address or CIDR a line"))
              .byDefault("txt"),
          Field("csv", std::move(csv)),
          Field("refresh",
                window("how often it is read again (10s to 7d; at least 1m when remote)"))
              .byDefault(json::string(windowName(ThreatListConfig::kDefaultRefreshMs))),
          Field("max_entries",
                Schema::integer(1, static_cast<int64_t>(ThreatListConfig::kMaxEntries),
                                "the most entries it may hold"))
              .byDefault(static_cast<int64_t>(ListLimits::kGuardDutyMaxEntries)),
          Field("description", Schema::string("what it is, for the runbook")),
          Field("ca_file", Schema::string("an https:// source's CA bundle (PEM; relative to the "
                                          "configuration directory)"))
              .defaultText("the system's"),
      },
      "one list");
  Schema publish = Schema::object(
      {
          Field("location",
                std::move(Schema::string("the TXT object riposte keeps").named("s3://bucket/key")))
              .needed(),
          Field("detector_id", Schema::string("the GuardDuty detector (aws guardduty "
                                              "list-detectors)"))
              .needed(),
          Field("name", Schema::string("the ThreatIntelSet's name"))
              .byDefault(json::string(PublishConfig{}.name)),
          Field("activate", Schema::boolean("activate the ThreatIntelSet")).byDefault(true),
          Field("region", Schema::string("the detector's and bucket's region"))
              .defaultText("aws.region"),
      },
      "publish the addresses riposte blocks for GuardDuty (once across the files)");
  return Schema::object(
      {
          Field("lists", Schema::list(std::move(list), "IPv4/IPv6 address and CIDR lists")),
          Field("publish", std::move(publish)),
      },
      "threat-intelligence lists (the lists of all files add up)");
}

Schema buildPolicies() {
  return Schema::object(
      {
          Field("suppressions", suppressionsSchema()),
          Field("limits", limitsSchema()),
          Field("breaker", breakerSchema()),
          Field("scope", scopeSchema()),
          Field("threat_intel", threatIntelSchema()),
          Field("guardduty",
                Schema::object(
                    {
                        Field("detector_id", Schema::string("the GuardDuty detector "
                                                            "(aws guardduty list-detectors)"))
                            .needed(),
                        Field("region", Schema::string("the detector's region"))
                            .defaultText("aws.region"),
                    },
                    "where suppressions marked `guardduty: archive` become GuardDuty filters")),
      },
      "a policies file (each section at most once across the files, but threat_intel's lists)");
}

}  // namespace

const config::Schema& policiesSchema() {
  static const config::Schema s = buildPolicies();
  return s;
}

const config::Schema* policySchemaAt(std::string_view path) {
  const config::Schema* s = &policiesSchema();
  while (!path.empty() && s) {
    const std::size_t dot = path.find('.');
    std::string_view seg = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    bool items = false;
    if (seg.ends_with("[]")) {
      items = true;
      seg.remove_suffix(2);
    }
    if (s->kind != config::Schema::Kind::kObject) return nullptr;
    const config::Field* f = s->field(seg);
    if (!f) return nullptr;
    s = &f->schema;
    if (items) {
      if (s->kind != config::Schema::Kind::kList || !s->item) return nullptr;
      s = s->item.get();
    }
  }
  return s;
}

namespace {

// The member names of every mapping of the schema, by path, read once.
void collectKeys(const config::Schema& s, const std::string& path,
                 std::map<std::string, std::vector<std::string>, std::less<>>& out) {
  if (s.kind == config::Schema::Kind::kList && s.item) {
    collectKeys(*s.item, path + "[]", out);
    return;
  }
  if (s.kind != config::Schema::Kind::kObject) return;
  auto& keys = out[path];
  for (const auto& f : s.fields) {
    keys.push_back(f.name);
    collectKeys(f.schema, path.empty() ? f.name : path + "." + f.name, out);
  }
}

}  // namespace

const std::vector<std::string>& keysAt(std::string_view path) {
  static const auto kKeys = [] {
    std::map<std::string, std::vector<std::string>, std::less<>> m;
    collectKeys(policiesSchema(), "", m);
    return m;
  }();
  static const std::vector<std::string> kNone;
  const auto it = kKeys.find(path);
  return it == kKeys.end() ? kNone : it->second;
}

const std::vector<std::string>& policySectionNames() {
  return keysAt("");
}

}  // namespace riposte::policy
