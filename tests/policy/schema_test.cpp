// policy/schema.h is the one list of the keys of policies/*.yaml. These tests hold it and the
// section parsers to each other: a file using every key the schema lists passes both the
// schema and the parsers; every mapping the schema describes refuses a key it does not list;
// every key with a type refuses a value of another type, in the parsers and in the schema.
#include "policy/schema.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "config/document.h"
#include "config/reference.h"
#include "config/schema.h"
#include "policy/guardduty_filter.h"
#include "policy/limits.h"
#include "policy/suppression.h"
#include "policy/threat_config.h"

namespace riposte::policy {
namespace {

using config::Schema;

// Every key of the schema, each with a value the parsers accept. Items of a list that cannot
// hold two keys together (role or action, max or max_percent, column or column_index) are
// given twice.
constexpr const char* kEveryKey = R"(
suppressions:
  - name: pentest-q4
    reason: Scheduled penetration test
    owner: secops@example.com
    expires: 7d
    created: "2026-12-01T09:00:00Z"
    match:
      pattern: {source: [aws.guardduty], detail: {type: [{prefix: "Recon:EC2/"}]}}
      scope:
        accounts: ["111122223333"]
        regions: [eu-west-1]
        resource_ids: [i-0123456789abcdef0]
        tags: {Environment: pentest}
  - name: scanner
    reason: The weekly scanner
    owner: secops@example.com
    guardduty: archive
    match:
      pattern: {source: [aws.guardduty], detail: {type: [Recon:EC2/Portscan]}}
guardduty:
  detector_id: 12abc34d567e8fa901bc2d34e56789f0
  region: us-east-1
limits:
  - name: contain-per-account
    role: contain
    per: account
    max: 10
    window: 10m
    on_limit: approve
  - name: share-cap
    action: aws.ec2.isolateInstance
    per: [account, region]
    max_percent: 5
    window: 1h
    on_limit: fail
breaker: {threshold: 20, window: 10m, on_limit: approve}
scope:
  allow: {accounts: ["111122223333"], regions: [us-east-1], vpcs: [vpc-0abc],
          tags: {env: [prod]}, resource_ids: [i-0abc]}
  deny: {accounts: ["444455556666"], regions: [eu-west-1], vpcs: [vpc-0def],
         tags: {"riposte:scope": [exclude]}, resource_ids: [i-0bastion]}
threat_intel:
  lists:
    - name: tor-exits
      verdict: malicious
      source: lists/tor.txt
      format: txt
      refresh: 1h
      max_entries: 1000
      description: Tor exit nodes
    - name: corp-egress
      verdict: trusted
      source: s3://corp-secops/lists/egress.csv
      region: eu-west-1
      format: csv
      csv: {column: ip, header: present}
    - name: scanners
      verdict: trusted
      source: https://feeds.example.com/scanners.csv
      format: csv
      csv: {column_index: 0, header: absent}
      ca_file: certs/feeds-ca.pem
  publish:
    location: s3://corp-secops/riposte/blocked.txt
    detector_id: 12abc34d567e8fa901bc2d34e56789f0
    name: riposte-blocked
    activate: true
    region: us-east-1
)";

// Keys the schema lists that the parsers refuse for now, each with why (none may stay
// unexplained; remove an entry with the refusal).
const std::set<std::string> kRefusedForNow = {};

json::value readYaml(const std::string& text) {
  std::vector<config::Located> problems;
  auto doc = config::readYaml(text, "policies.yaml", problems);
  EXPECT_TRUE(doc.has_value());
  for (const auto& p : problems) ADD_FAILURE() << p.str();
  return doc ? doc->value : json::value();
}

// Every section's parser over a policies file (the loader's dispatch, engine/config.cpp).
Problems parserProblems(const json::value& file) {
  Problems out;
  for (const auto& kv : file.get_object()) {
    const std::string section(kv.key());
    if (section == "suppressions") {
      auto p = parseSuppressions(kv.value(), section, Origin::kConfig, 0);
      out.insert(out.end(), p.problems.begin(), p.problems.end());
    } else if (section == "limits") {
      (void)parseLimits(kv.value(), out);
    } else if (section == "breaker") {
      (void)parseBreaker(kv.value(), out);
    } else if (section == "scope") {
      (void)parseScope(kv.value(), out);
    } else if (section == "threat_intel") {
      (void)parseThreatIntel(kv.value(), out);
    } else if (section == "guardduty") {
      (void)parseGuardDutySettings(kv.value(), out);
    } else {
      ADD_FAILURE() << "a section the schema test does not know: " << section;
    }
  }
  return out;
}

// The schema checker's problems over a policies file.
std::vector<config::Problem> schemaProblems(const json::value& file) {
  std::vector<config::Located> read;
  auto doc = config::readJson(json::serialize(file), "policies.json", read);
  EXPECT_TRUE(doc.has_value());
  std::vector<config::Problem> out;
  if (doc) config::check(policiesSchema(), *doc, "", out);
  return out;
}

std::string show(const Problems& ps) {
  std::string s;
  for (const auto& p : ps) s += "\n  " + p.path + ": " + p.message;
  return s;
}

// One value of the file the schema describes: its path as the parsers write it
// ("limits[1].max_percent"), its path in the schema ("limits[].max_percent"), its schema.
struct Site {
  std::string path;
  std::string schema_path;
  const Schema* schema;
};

void walk(const Schema& s, const json::value& v, const std::string& path,
          const std::string& schema_path, std::vector<Site>& out) {
  out.push_back({path, schema_path, &s});
  if (s.kind == Schema::Kind::kObject && v.is_object()) {
    for (const auto& f : s.fields) {
      if (const auto* m = v.get_object().if_contains(f.name)) {
        walk(f.schema, *m, path.empty() ? f.name : path + "." + f.name,
             schema_path.empty() ? f.name : schema_path + "." + f.name, out);
      }
    }
  } else if (s.kind == Schema::Kind::kList && v.is_array() && s.item) {
    const auto& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i)
      walk(*s.item, a[i], path + "[" + std::to_string(i) + "]", schema_path + "[]", out);
  }
}

std::vector<Site> sites(const json::value& file) {
  std::vector<Site> out;
  walk(policiesSchema(), file, "", "", out);
  return out;
}

// The value at a parsers' path ("threat_intel.lists[1].csv") of `v`.
json::value* at(json::value& v, const std::string& path) {
  json::value* cur = &v;
  std::size_t i = 0;
  while (i < path.size() && cur) {
    if (path[i] == '.') ++i;
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      const std::size_t n = std::stoul(path.substr(i + 1, close - i - 1));
      cur = cur->is_array() && n < cur->get_array().size() ? &cur->get_array()[n] : nullptr;
      i = close + 1;
      continue;
    }
    const std::size_t end = path.find_first_of(".[", i);
    const std::string key = path.substr(i, end == std::string::npos ? std::string::npos : end - i);
    cur = cur->is_object() ? cur->get_object().if_contains(key) : nullptr;
    i = end == std::string::npos ? path.size() : end;
  }
  return cur;
}

bool reportsAt(const Problems& ps, const std::string& path) {
  for (const auto& p : ps) {
    if (p.path == path || p.path.starts_with(path + ".") || p.path.starts_with(path + "["))
      return true;
  }
  return false;
}

TEST(PolicySchema, EveryKeyOfTheFixtureIsListedAndEveryListedKeyIsInTheFixture) {
  const json::value file = readYaml(kEveryKey);
  std::set<std::string> listed;
  for (const auto& r : config::referenceRows(policiesSchema())) listed.insert(r.key);
  std::set<std::string> used;
  for (const auto& k : config::referenceKeysOf(policiesSchema(), file)) {
    EXPECT_TRUE(listed.count(k)) << k << " is used but not listed";
    used.insert(k);
  }
  for (const auto& k : listed) {
    // A map's values are listed under their key name; the fixture's under the real key.
    if (k.find('<') != std::string::npos) continue;
    EXPECT_TRUE(used.count(k) || kRefusedForNow.count(k)) << k << " is listed but not exercised";
  }
}

TEST(PolicySchema, AFileWithEveryKeyPassesTheParsersAndTheSchema) {
  const json::value file = readYaml(kEveryKey);
  const Problems ps = parserProblems(file);
  EXPECT_TRUE(ps.empty()) << show(ps);
  for (const auto& p : schemaProblems(file)) ADD_FAILURE() << p.path << ": " << p.message;
}

TEST(PolicySchema, AnArchiveWhosePatternCannotBeAFilterIsRefusedByTheParsers) {
  json::value file = readYaml(kEveryKey);
  at(file, "suppressions[0]")->get_object()["guardduty"] = "archive";
  EXPECT_TRUE(reportsAt(parserProblems(file), "suppressions[0].match.scope.accounts"));
  EXPECT_TRUE(schemaProblems(file).empty());
}

TEST(PolicySchema, EveryMappingRefusesAKeyItDoesNotList) {
  const json::value file = readYaml(kEveryKey);
  int mappings = 0;
  for (const auto& site : sites(file)) {
    if (site.schema->kind != Schema::Kind::kObject || site.path.empty()) continue;
    json::value copy = file;
    json::value* target = at(copy, site.path);
    ASSERT_NE(target, nullptr) << site.path;
    ASSERT_TRUE(target->is_object()) << site.path;
    target->get_object()["zz_unlisted"] = 1;
    const Problems ps = parserProblems(copy);
    bool found = false;
    for (const auto& p : ps) {
      if (p.path == site.path + ".zz_unlisted") {
        found = true;
        EXPECT_NE(p.message.find("unknown key 'zz_unlisted'"), std::string::npos) << p.message;
      }
    }
    EXPECT_TRUE(found) << site.path << ": the parsers took an unlisted key" << show(ps);
    EXPECT_FALSE(schemaProblems(copy).empty()) << site.path;
    ++mappings;
  }
  // suppressions[0], .match, .match.scope, limits[0..1], breaker, scope, .allow, .deny,
  // threat_intel, lists[0..2], lists[1..2].csv, publish, suppressions[1], .match, guardduty.
  EXPECT_EQ(mappings, 19);
}

// A value of another type than the key's.
std::optional<json::value> wrongValue(const Schema& s) {
  switch (s.kind) {
    case Schema::Kind::kString:
      return json::value(5);
    case Schema::Kind::kBool:
      return json::value("yes");
    case Schema::Kind::kInt:
      return json::value("many");
    case Schema::Kind::kEnum:
      return json::value("not-one-of-them");
    case Schema::Kind::kList:
    case Schema::Kind::kObject:
    case Schema::Kind::kMap:
      return json::value(5);
    case Schema::Kind::kAny:
      // Every key of kind any reads a text of its own form (a window, a time, a pattern, per).
      return json::value("%%");
    default:
      return std::nullopt;
  }
}

TEST(PolicySchema, EveryTypedKeyRefusesAValueOfAnotherType) {
  const json::value file = readYaml(kEveryKey);
  std::set<std::string> checked;
  for (const auto& site : sites(file)) {
    // The file itself, and list items (their lists' items are mappings, checked above).
    if (site.path.empty() || site.path.back() == ']') continue;
    const auto wrong = wrongValue(*site.schema);
    ASSERT_TRUE(wrong.has_value()) << site.path;
    json::value copy = file;
    *at(copy, site.path) = *wrong;
    const Problems ps = parserProblems(copy);
    EXPECT_TRUE(reportsAt(ps, site.path))
        << site.path << " = " << json::serialize(*wrong) << " passed the parsers" << show(ps);
    // The schema knows the type too, but for the keys whose form only the parsers read.
    if (site.schema->kind != Schema::Kind::kAny) {
      EXPECT_FALSE(schemaProblems(copy).empty()) << site.path;
    }
    checked.insert(site.schema_path);
  }
  // Every key listed, but the map members and the keys refused for now.
  for (const auto& r : config::referenceRows(policiesSchema())) {
    if (r.key.find('<') != std::string::npos || kRefusedForNow.count(r.key)) continue;
    EXPECT_TRUE(checked.count(r.key)) << r.key << " was not checked";
  }
}

TEST(PolicySchema, KeysAtNamesTheMembersOfAMapping) {
  EXPECT_EQ(policySectionNames(), (std::vector<std::string>{"suppressions", "limits", "breaker",
                                                            "scope", "threat_intel", "guardduty"}));
  EXPECT_EQ(keysAt("breaker"), (std::vector<std::string>{"threshold", "window", "on_limit"}));
  EXPECT_EQ(keysAt("threat_intel.lists[].csv"),
            (std::vector<std::string>{"column", "column_index", "header"}));
  EXPECT_EQ(keysAt("suppressions[].match"), (std::vector<std::string>{"pattern", "scope"}));
  EXPECT_EQ(keysAt("scope.allow"), keysAt("scope.deny"));
  EXPECT_TRUE(keysAt("limits[].max").empty());  // not a mapping
  EXPECT_TRUE(keysAt("no.such.path").empty());
  EXPECT_EQ(policySchemaAt("nope"), nullptr);
  ASSERT_NE(policySchemaAt("limits[]"), nullptr);
  EXPECT_EQ(policySchemaAt("limits[]")->kind, Schema::Kind::kObject);
}

}  // namespace
}  // namespace riposte::policy
