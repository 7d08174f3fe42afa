// Suppressions: the parser's strictness (every bad input named with its path), expiry, scope
// and matching through the compiled set.
#include "policy/suppression.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "sources/samples.h"

namespace riposte::policy {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;  // 2026-09-21T…

json::value j(std::string_view text) {
  auto v = parseJson(text);
  EXPECT_TRUE(v) << text;
  return v ? *v : json::value();
}

ParsedSuppressions parse(std::string_view list, Origin origin = Origin::kConfig) {
  return parseSuppressions(j(list), "suppressions", origin, kNow);
}

std::string problemsText(const Problems& ps) {
  std::string s;
  for (const auto& p : ps) s += p.path + ": " + p.message + "\n";
  return s;
}

// The one problem a list gives, as "path: message".
std::string oneProblem(std::string_view list, Origin origin = Origin::kConfig) {
  auto p = parse(list, origin);
  EXPECT_EQ(p.problems.size(), 1u) << problemsText(p.problems);
  EXPECT_TRUE(p.suppressions.empty());
  return p.problems.empty() ? "" : p.problems[0].path + ": " + p.problems[0].message;
}

TEST(SuppressionParse, ReadsAFullEntry) {
  auto p = parse(R"([{"name":"pentest-q4","reason":"pen test","owner":"secops@example.com",
    "expires":"2026-12-31T00:00:00Z",
    "match":{"pattern":{"detail":{"type":[{"prefix":"Recon:EC2/"}]}},
             "scope":{"accounts":["111122223333"],"regions":["eu-west-1"],
                      "resource_ids":["i-0123456789abcdef0"],"tags":{"Environment":"pentest"}}}}])");
  ASSERT_TRUE(p.problems.empty()) << problemsText(p.problems);
  ASSERT_EQ(p.suppressions.size(), 1u);
  const auto& s = p.suppressions[0];
  EXPECT_EQ(s.name, "pentest-q4");
  EXPECT_EQ(s.reason, "pen test");
  EXPECT_EQ(s.owner, "secops@example.com");
  ASSERT_TRUE(s.expires_ms);
  int64_t want = 0;
  ASSERT_TRUE(parseIso8601("2026-12-31T00:00:00Z", want));
  EXPECT_EQ(*s.expires_ms, want);
  EXPECT_FALSE(s.guardduty_archive);
  EXPECT_EQ(s.pattern_json, R"({"detail":{"type":[{"prefix":"Recon:EC2/"}]}})");
  EXPECT_EQ(s.scope.accounts, std::vector<std::string>{"111122223333"});
  EXPECT_EQ(s.scope.regions, std::vector<std::string>{"eu-west-1"});
  EXPECT_EQ(s.scope.resource_ids, std::vector<std::string>{"i-0123456789abcdef0"});
  ASSERT_EQ(s.scope.tags.size(), 1u);
  EXPECT_EQ(s.scope.tags[0], (std::pair<std::string, std::string>{"Environment", "pentest"}));
  EXPECT_EQ(s.origin, Origin::kConfig);
}

TEST(SuppressionParse, APatternMayBeGivenAsJsonText) {
  auto p = parse(R"([{"name":"a","reason":"r","owner":"o",
                      "match":{"pattern":"{\"source\": [\"aws.guardduty\"]}"}}])");
  ASSERT_TRUE(p.problems.empty()) << problemsText(p.problems);
  EXPECT_EQ(p.suppressions[0].pattern_json, R"({"source":["aws.guardduty"]})");
  EXPECT_FALSE(p.suppressions[0].expires_ms);
}

TEST(SuppressionParse, UnknownKeysAreErrorsWithTheClosestKnownKey) {
  EXPECT_EQ(oneProblem(R"([{"name":"a","reason":"r","owner":"o","expire":"7d",
                            "match":{"scope":{"accounts":["111122223333"]}}}])"),
            "suppressions[0].expire: unknown key 'expire' (did you mean 'expires'?)");
  EXPECT_EQ(oneProblem(R"([{"name":"a","reason":"r","owner":"o",
                            "match":{"scope":{"acounts":["111122223333"]}}}])"),
            "suppressions[0].match.scope.acounts: unknown key 'acounts' (did you mean "
            "'accounts'?)");
  EXPECT_EQ(oneProblem(R"([{"name":"a","reason":"r","owner":"o",
                            "match":{"patern":{"source":["x"]}}}])"),
            "suppressions[0].match.patern: unknown key 'patern' (did you mean 'pattern'?)");
  // Far from every known key: they are listed.
  EXPECT_EQ(oneProblem(R"([{"name":"a","reason":"r","owner":"o","zzzz":1,
                            "match":{"scope":{"accounts":["111122223333"]}}}])"),
            "suppressions[0].zzzz: unknown key 'zzzz' (known: name, reason, owner, expires, "
            "created, match, guardduty)");
}

TEST(SuppressionParse, RequiredFieldsAreNamed) {
  auto p = parse(R"([{"match":{"scope":{"regions":["us-east-1"]}}}])");
  EXPECT_EQ(problemsText(p.problems),
            "suppressions[0].name: is required\n"
            "suppressions[0].reason: is required\n"
            "suppressions[0].owner: is required\n");
  EXPECT_EQ(oneProblem(R"([{"name":"a","reason":"r","owner":"o"}])"),
            "suppressions[0].match: is required: a pattern and/or a scope");
  EXPECT_EQ(oneProblem(R"([{"name":"a","reason":"r","owner":"o","match":{}}])"),
            "suppressions[0].match: must give a pattern, a scope or both");
}

TEST(SuppressionParse, ValuesAreStrict) {
  const std::string head = R"([{"name":"a","reason":"r","owner":"o",)";
  EXPECT_EQ(
      oneProblem(
          head +
          R"("expires":"2026-02-30T00:00:00Z","match":{"scope":{"regions":["us-east-1"]}}}])"),
      "suppressions[0].expires: '2026-02-30T00:00:00Z' is not an RFC 3339 time (no day 30 "
      "in that month; for example 2026-12-31T00:00:00Z)");
  EXPECT_EQ(oneProblem(
                head +
                R"("expires":"2026-12-31T00:00:00","match":{"scope":{"regions":["us-east-1"]}}}])"),
            "suppressions[0].expires: '2026-12-31T00:00:00' is not an RFC 3339 time (a time zone "
            "is required: Z or ±HH:MM; for example 2026-12-31T00:00:00Z)");
  EXPECT_EQ(
      oneProblem(head + R"("expires":"7 days","match":{"scope":{"regions":["us-east-1"]}}}])"),
      "suppressions[0].expires: '7 days' is not a duration: write a whole number and a "
      "unit, d (days), h (hours) or m (minutes): 7d, 12h, 30m");
  EXPECT_EQ(oneProblem(head + R"("guardduty":true,"match":{"scope":{"regions":["us-east-1"]}}}])"),
            "suppressions[0].guardduty: the only GuardDuty sync is 'archive' (a filter with "
            "action ARCHIVE), not a boolean");
  EXPECT_EQ(oneProblem(head + R"("match":{"scope":{"accounts":["1234"]}}}])"),
            "suppressions[0].match.scope.accounts[0]: '1234' is not an account id (12 digits)");
  EXPECT_EQ(oneProblem(head + R"("match":{"scope":{"accounts":"111122223333"}}}])"),
            "suppressions[0].match.scope.accounts: must be a list of strings, not a string");
  EXPECT_EQ(oneProblem(head + R"("match":{"scope":{"regions":["US East"]}}}])"),
            "suppressions[0].match.scope.regions[0]: 'US East' is not a region name (like "
            "us-east-1)");
  EXPECT_EQ(oneProblem(head + R"("match":{"scope":{"tags":{"Env":7}}}}])"),
            "suppressions[0].match.scope.tags.Env: a tag value must be a string, not a number "
            "(quote it: \"7\")");
  EXPECT_EQ(oneProblem(head + R"("match":{"pattern":{"source":[]}}}])"),
            "suppressions[0].match.pattern: Event pattern is not valid. Reason: Empty arrays are "
            "not allowed");
  EXPECT_EQ(oneProblem(head + R"("match":{"pattern":{}}}])"),
            "suppressions[0].match.pattern: Event pattern is not valid. Reason: Empty objects are "
            "not allowed");
  EXPECT_EQ(
      oneProblem(
          R"([{"name":"bad name","reason":"r","owner":"o","match":{"scope":{"regions":["us-east-1"]}}}])"),
      "suppressions[0].name: 'bad name' is not a suppression name: letters, digits, '.', "
      "'_' and '-' only");
  // `archive` is refused when GuardDuty's filter could not say exactly what it matches.
  EXPECT_EQ(
      oneProblem(
          R"([{"name":"abc","reason":"r","owner":"o","guardduty":"archive","match":{"scope":{"tags":{"Env":"pentest"}}}}])"),
      "suppressions[0].match.scope.tags: guardduty: archive cannot be honoured: riposte reads "
      "tags across several resource kinds, and GuardDuty matches a tag's key and value "
      "separately: name the fields in the pattern (remove `guardduty: archive` to suppress in "
      "riposte only)");
  EXPECT_TRUE(
      parse(
          R"([{"name":"abc","reason":"r","owner":"o","guardduty":"archive","match":{"scope":{"regions":["us-east-1"]}}}])")
          .problems.empty());
  EXPECT_EQ(oneProblem(R"({"name":"a"})"),
            "suppressions: must be a list of suppressions, not a mapping");
}

TEST(SuppressionParse, NamesAreUnique) {
  auto p =
      parse(R"([{"name":"a","reason":"r","owner":"o","match":{"scope":{"regions":["us-east-1"]}}},
                     {"name":"a","reason":"r","owner":"o","match":{"scope":{"regions":["us-east-2"]}}}])");
  ASSERT_EQ(p.problems.size(), 1u);
  EXPECT_EQ(p.problems[0].path, "suppressions[1].name");
  EXPECT_EQ(p.suppressions.size(), 1u);
}

TEST(SuppressionExpiry, ADurationInAFileCountsFromCreated) {
  EXPECT_EQ(oneProblem(R"([{"name":"a","reason":"r","owner":"o","expires":"7d",
                            "match":{"scope":{"regions":["us-east-1"]}}}])"),
            "suppressions[0].expires: a duration needs `created` (the RFC 3339 time it counts "
            "from): a file is read again at every start, so the duration would never end; or "
            "give an absolute time");
  auto p = parse(R"([{"name":"a","reason":"r","owner":"o","expires":"12h",
                      "created":"2026-12-01T00:00:00Z","match":{"scope":{"regions":["us-east-1"]}}}])");
  ASSERT_TRUE(p.problems.empty()) << problemsText(p.problems);
  int64_t created = 0;
  ASSERT_TRUE(parseIso8601("2026-12-01T00:00:00Z", created));
  EXPECT_EQ(*p.suppressions[0].expires_ms, created + 12 * 3'600'000);
}

TEST(SuppressionExpiry, ADurationFromTheApiCountsFromNow) {
  auto p = parse(R"([{"name":"a","reason":"r","expires":"30m",
                      "match":{"scope":{"regions":["us-east-1"]}}}])",
                 Origin::kStore);
  // Without a requester to default to, the owner is required from the API too.
  EXPECT_EQ(problemsText(p.problems), "suppressions[0].owner: is required\n");
  Problems problems;
  auto s = parseSuppression(j(R"({"name":"a","reason":"r","expires":"30m",
                                  "match":{"scope":{"regions":["us-east-1"]}}})"),
                            "body", Origin::kStore, kNow, problems, "alice");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->owner, "alice");
  EXPECT_EQ(*s->expires_ms, kNow + 30 * 60'000);
  EXPECT_EQ(s->created_ms, kNow);
  EXPECT_FALSE(s->expiredAt(kNow + 30 * 60'000 - 1));
  EXPECT_TRUE(s->expiredAt(kNow + 30 * 60'000));
  // `created` is riposte's to set.
  auto c = parseSuppression(j(R"({"name":"a","reason":"r","created":"2026-01-01T00:00:00Z",
                                  "match":{"scope":{"regions":["us-east-1"]}}})"),
                            "body", Origin::kStore, kNow, problems, "alice");
  EXPECT_FALSE(c);
  EXPECT_EQ(problems.back().path, "body.created");
}

TEST(SuppressionValues, DurationsAndTimes) {
  EXPECT_EQ(*parseDurationMs("7d"), 7 * 86'400'000LL);
  EXPECT_EQ(*parseDurationMs("12h"), 12 * 3'600'000LL);
  EXPECT_EQ(*parseDurationMs("30m"), 30 * 60'000LL);
  for (const char* bad : {"", "d", "0d", "07d", "7", "7s", "-7d", "7D", "1.5h", "7d12h", "3651d"})
    EXPECT_FALSE(parseDurationMs(bad)) << bad;
  EXPECT_TRUE(parseTimeMs("2028-02-29T23:59:59.5+02:00"));
  for (const char* bad : {"2027-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-31 00:00:00Z",
                          "2026-12-31T24:00:00Z", "2026-12-31T00:00:00+2:00",
                          "2026-12-31T00:00:00Zjunk", "+026-12-31T00:00:00Z"})
    EXPECT_FALSE(parseTimeMs(bad)) << bad;
}

TEST(SuppressionJson, RoundTripsThroughTheStoredForm) {
  Problems problems;
  auto s = parseSuppression(j(R"({"name":"scanner","reason":"the weekly scan","owner":"ops",
      "expires":"7d",
      "match":{"pattern":{"detail":{"type":["Recon:EC2/Portscan"]}},
               "scope":{"tags":{"Role":"scanner"}}}})"),
                            "body", Origin::kStore, kNow, problems, "");
  ASSERT_TRUE(s) << s.error().message;
  s->created_by = "alice@host";
  json::object o = suppressionJson(*s, kNow);
  EXPECT_EQ(o.at("source"), "store");
  EXPECT_EQ(o.at("deletable"), true);
  EXPECT_EQ(o.at("expired"), false);
  auto back = suppressionFromStored(o);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->name, s->name);
  EXPECT_EQ(back->expires_ms, s->expires_ms);
  EXPECT_EQ(back->created_ms, s->created_ms);
  EXPECT_EQ(back->created_by, "alice@host");
  EXPECT_EQ(back->pattern_json, s->pattern_json);
  EXPECT_EQ(back->scope.tags, s->scope.tags);
  EXPECT_FALSE(back->guardduty_archive);
  EXPECT_EQ(suppressionJson(*s, *s->expires_ms).at("expired"), true);
}

// ---------------------------------------------------------------- matching

std::string sampleEvent(const std::string& type,
                        const std::string& instance = "i-0aaaa1111bbbb2222",
                        const std::string& account = "123456789012") {
  sources::SampleOptions o;
  o.instance_id = instance;
  o.account = account;
  o.now_ms = kNow;
  auto f = sources::sampleFinding(type, o);
  EXPECT_TRUE(f) << f.error().message;
  std::string text = json::serialize(sources::sampleEvent(*f));
  text.reserve(text.size() + pattern::RuleSet::kPadding);
  return text;
}

EventFacts factsOf(const std::string& event_json, std::vector<std::string> ids) {
  auto v = parseJson(event_json);
  EventFacts f;
  f.account = std::string(v->at("account").get_string());
  f.region = std::string(v->at("region").get_string());
  f.resource_ids = std::move(ids);
  f.tags = resourceTagsOf(v->get_object());
  return f;
}

std::shared_ptr<const SuppressionSet> setOf(std::string_view list) {
  auto p = parse(list);
  EXPECT_TRUE(p.problems.empty()) << problemsText(p.problems);
  auto set = SuppressionSet::build(p.suppressions);
  EXPECT_TRUE(set) << set.error().message;
  return *set;
}

std::string matchName(const SuppressionSet& set, const std::string& ev, const EventFacts& f,
                      int64_t now = kNow) {
  auto m = set.match(ev, f, now);
  EXPECT_TRUE(m) << m.error().message;
  return m && *m ? (*m)->name : "";
}

TEST(SuppressionMatch, PatternsHaveTheRulesSemantics) {
  auto set = setOf(R"([
    {"name":"recon","reason":"r","owner":"o","match":{"pattern":{"detail":{"type":[{"prefix":"Recon:EC2/"}]}}}},
    {"name":"low","reason":"r","owner":"o","match":{"pattern":{"detail":{"severity":[{"numeric":["<",1]}]}}}}])");
  std::string probe = sampleEvent("Recon:EC2/PortProbeUnprotectedPort");
  std::string brute = sampleEvent("UnauthorizedAccess:EC2/SSHBruteForce");
  EXPECT_EQ(matchName(*set, probe, factsOf(probe, {})), "recon");
  EXPECT_EQ(matchName(*set, brute, factsOf(brute, {})), "");
  EXPECT_FALSE(set->needsFacts());
}

TEST(SuppressionMatch, TheFirstThatAppliesWinsAndExpiredOnesDoNotApply) {
  auto set = setOf(R"([
    {"name":"until-2026","reason":"r","owner":"o","expires":"2026-01-01T00:00:00Z",
     "match":{"pattern":{"source":["aws.guardduty"]}}},
    {"name":"by-account","reason":"r","owner":"o","match":{"scope":{"accounts":["123456789012"]}}},
    {"name":"any-guardduty","reason":"r","owner":"o","match":{"pattern":{"source":["aws.guardduty"]}}}])");
  std::string ev = sampleEvent("Recon:EC2/Portscan");
  auto f = factsOf(ev, {});
  int64_t before_2026 = 0;
  ASSERT_TRUE(parseIso8601("2025-12-31T23:59:59Z", before_2026));
  EXPECT_EQ(matchName(*set, ev, f, before_2026), "until-2026");
  EXPECT_EQ(matchName(*set, ev, f, kNow), "by-account");
  std::string other = sampleEvent("Recon:EC2/Portscan", "i-0aaaa1111bbbb2222", "210987654321");
  EXPECT_EQ(matchName(*set, other, factsOf(other, {}), kNow), "any-guardduty");
}

TEST(SuppressionMatch, ScopesAndTheirDimensions) {
  auto set = setOf(R"([
    {"name":"instance","reason":"r","owner":"o",
     "match":{"scope":{"resource_ids":["i-0ccc0000000000000","i-0ddd0000000000000"],"regions":["us-east-1"]}}},
    {"name":"tagged","reason":"r","owner":"o","match":{"scope":{"tags":{"Environment":"staging","Name":"bastion"}}}},
    {"name":"ssh-in-eu","reason":"r","owner":"o",
     "match":{"pattern":{"detail":{"type":["UnauthorizedAccess:EC2/SSHBruteForce"]}},
              "scope":{"regions":["eu-west-1"]}}}])");
  EXPECT_TRUE(set->needsFacts());
  std::string ev = sampleEvent("UnauthorizedAccess:EC2/SSHBruteForce", "i-0ddd0000000000000");
  EXPECT_EQ(matchName(*set, ev, factsOf(ev, {"i-0ddd0000000000000"})), "instance");
  auto f = factsOf(ev, {"i-0eee0000000000000"});
  EXPECT_EQ(matchName(*set, ev, f), "");  // sample tags: Environment=production
  f.tags.emplace_back("Environment", "staging");
  EXPECT_EQ(matchName(*set, ev, f), "tagged");
  f.tags.clear();
  f.region = "eu-west-1";
  EXPECT_EQ(matchName(*set, ev, f), "ssh-in-eu");
  f.resource_ids = {"i-0ccc0000000000000"};  // right id, wrong region for "instance"
  EXPECT_EQ(matchName(*set, ev, f), "ssh-in-eu");
}

TEST(SuppressionMatch, ReadsTheTagsOfGuardDutyAndAsffFindings) {
  std::string ev = sampleEvent("UnauthorizedAccess:EC2/SSHBruteForce");
  auto tags = resourceTagsOf(parseJson(ev)->get_object());
  EXPECT_NE(std::find(tags.begin(), tags.end(),
                      std::pair<std::string, std::string>{"Environment", "production"}),
            tags.end());
  auto asff = j(R"({"detail":{"findings":[{"Resources":[{"Tags":{"Team":"red"}}]}]}})");
  EXPECT_EQ(resourceTagsOf(asff.get_object()),
            (std::vector<std::pair<std::string, std::string>>{{"Team", "red"}}));
}

TEST(SuppressionMatch, ThousandsOfSuppressionsAnswerTheSame) {
  std::string list = "[";
  for (int i = 0; i < 3000; ++i) {
    if (i) list += ",";
    std::string id = "i-0" + std::to_string(1000000000000000 + i);
    if (i % 2 == 0) {
      list +=
          R"({"name":"p)" + std::to_string(i) +
          R"(","reason":"r","owner":"o","match":{"pattern":{"detail":{"resource":{"instanceDetails":{"instanceId":[")" +
          id + R"("]}}}}}})";
    } else {
      list += R"({"name":"s)" + std::to_string(i) +
              R"(","reason":"r","owner":"o","match":{"scope":{"resource_ids":[")" + id + R"("]}}})";
    }
  }
  list += "]";
  auto set = setOf(list);
  ASSERT_EQ(set->size(), 3000u);
  for (int i : {0, 1, 1500, 2999}) {
    std::string id = "i-0" + std::to_string(1000000000000000 + i);
    std::string ev = sampleEvent("UnauthorizedAccess:EC2/SSHBruteForce", id);
    EXPECT_EQ(matchName(*set, ev, factsOf(ev, {id})), (i % 2 == 0 ? "p" : "s") + std::to_string(i));
  }
  std::string none = sampleEvent("UnauthorizedAccess:EC2/SSHBruteForce", "i-09999999999999999");
  EXPECT_EQ(matchName(*set, none, factsOf(none, {"i-09999999999999999"})), "");
}

TEST(SuppressionSet, RejectsTwoOfOneName) {
  auto p = parse(
      R"([{"name":"a","reason":"r","owner":"o","match":{"scope":{"regions":["us-east-1"]}}}])");
  auto twice = p.suppressions;
  twice.push_back(p.suppressions[0]);
  auto set = SuppressionSet::build(twice);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, "Conflict");
}

TEST(SuppressionWords, DescribesScopes) {
  ResourceScope s;
  s.accounts = {"111122223333"};
  s.regions = {"us-east-1", "eu-west-1"};
  s.tags = {{"Environment", "test"}};
  EXPECT_EQ(describeScope(s),
            "in account 111122223333, in regions us-east-1 or eu-west-1 and on a resource "
            "tagged Environment=test");
}

}  // namespace
}  // namespace riposte::policy
