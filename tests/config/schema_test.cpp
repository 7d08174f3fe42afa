// One test (or more) per rule of the schema checker (src/config/schema.h), on documents read
// from YAML and JSON text with their positions.
#include "config/schema.h"

#include <gtest/gtest.h>

#include "config/registry.h"

namespace riposte::config {
namespace {

Document yaml(const std::string& text) {
  std::vector<Located> read;
  auto d = readYaml(text, "t.yaml", read);
  EXPECT_TRUE(d.has_value());
  EXPECT_TRUE(read.empty()) << (read.empty() ? "" : read[0].str());
  return d ? std::move(*d) : Document{};
}

// Every problem of checking `text` against `s`, located, one per line.
std::string problems(const Schema& s, const std::string& text, Document* keep = nullptr) {
  Document d = yaml(text);
  std::vector<Problem> out;
  check(s, d, "", out);
  std::string all;
  for (const auto& p : out) all += d.locate(p).str() + "\n";
  std::vector<Located> unset;
  d.unsetProblems(unset);
  for (const auto& u : unset) all += u.str() + "\n";
  if (keep) *keep = std::move(d);
  return all;
}

Schema top() {
  return Schema::object(
      {
          Field("safety",
                Schema::object({Field("dry_run", Schema::boolean("plan only")).byDefault(false)},
                               "safety switches")),
          Field("store", Schema::url({"sqlite", "postgres", "postgresql"}, "the store")),
          Field("listen", Schema::listen(1, "address")),
          Field("level", Schema::oneOf({"debug", "info", "warn", "error"}, "log level"))
              .byDefault("info"),
          Field("wait", Schema::integer(0, 20, "seconds")),
          Field("every", Schema::duration("how often")),
          Field("name", Schema::string("a name")),
          Field("topic", Schema::string("a topic")).optionalWhenEmpty(),
      },
      "top");
}

TEST(Schema, UnknownKeySuggestsTheClosest) {
  EXPECT_EQ(problems(top(), "saftey:\n  dry_run: true\n"),
            "t.yaml:1:1: saftey: unknown key 'saftey' (did you mean 'safety'?)\n");
  EXPECT_EQ(problems(top(), "zzz: 1\n"),
            "t.yaml:1:1: zzz: unknown key 'zzz' (known: safety, store, listen, level, wait, "
            "every, name, topic)\n");
}

TEST(Schema, BooleansAreOnlyTrueOrFalse) {
  for (const char* bad : {"yes", "True", "1", "on", "tru", "\"true\""}) {
    auto all = problems(top(), std::string("safety:\n  dry_run: ") + bad + "\n");
    EXPECT_NE(all.find("t.yaml:2:12: safety.dry_run: must be true or false"), std::string::npos)
        << bad << ": " << all;
  }
  Document d;
  EXPECT_EQ(problems(top(), "safety:\n  dry_run: true\n", &d), "");
  EXPECT_EQ(d.value.at("safety").at("dry_run"), json::value(true));
}

TEST(Schema, ExpansionMayLeaveTheStringsTrueAndFalse) {
  ::setenv("RIPOSTE_SCHEMA_TEST_DRY", "true", 1);
  Document d;
  EXPECT_EQ(
      problems(top(), "safety:\n  dry_run: ${RIPOSTE_SCHEMA_TEST_DRY}\nwait: ${NOPE_X:-7}\n", &d),
      "");
  EXPECT_EQ(d.value.at("safety").at("dry_run"), json::value(true));
  EXPECT_EQ(d.value.at("wait"), json::value(7));
  ::setenv("RIPOSTE_SCHEMA_TEST_DRY", "yes", 1);
  EXPECT_EQ(problems(top(), "safety:\n  dry_run: ${RIPOSTE_SCHEMA_TEST_DRY}\n"),
            "t.yaml:2:12: safety.dry_run: must be true or false, not 'yes'\n");
  ::unsetenv("RIPOSTE_SCHEMA_TEST_DRY");
}

TEST(Schema, DefaultsAreWrittenIntoTheValue) {
  Document d;
  EXPECT_EQ(problems(top(), "safety: {}\n", &d), "");
  EXPECT_EQ(d.value.at("safety").at("dry_run"), json::value(false));
  EXPECT_EQ(d.value.at("level"), json::value("info"));
}

TEST(Schema, RequiredKeys) {
  Schema s = Schema::object({Field("name", Schema::string("n")).needed()}, "x");
  EXPECT_EQ(problems(s, "{}\n"), "t.yaml:1:1: name: is required\n");
}

TEST(Schema, UrlSchemes) {
  EXPECT_EQ(problems(top(), "store: mysql://x\n"),
            "t.yaml:1:8: store: must be a URL starting with sqlite:// or postgres:// or "
            "postgresql://, not 'mysql://x'\n");
  EXPECT_EQ(problems(top(), "store: postgresql://u@h/db\n"), "");
}

TEST(Schema, ListenAddress) {
  EXPECT_EQ(problems(top(), "listen: 127.0.0.1:99999\n"),
            "t.yaml:1:9: listen: port 99999 is out of range 1–65535\n");
  EXPECT_EQ(problems(top(), "listen: localhost\n"),
            "t.yaml:1:9: listen: must be host:port (IPv6 as [::1]:8080), not 'localhost'\n");
  EXPECT_EQ(problems(top(), "listen: '[::1]:8080'\n"), "");
  EXPECT_EQ(problems(top(), "listen: 127.0.0.1:0\n"),
            "t.yaml:1:9: listen: port 0 is out of range 1–65535\n");
}

TEST(Schema, EnumsAndIntegers) {
  EXPECT_EQ(problems(top(), "level: inof\n"),
            "t.yaml:1:8: level: must be one of debug, info, warn, error, not 'inof' (did you "
            "mean 'info'?)\n");
  EXPECT_EQ(problems(top(), "wait: 30\n"),
            "t.yaml:1:7: wait: must be an integer between 0 and 20, not 30\n");
  EXPECT_EQ(problems(top(), "wait: 1.5\n"),
            "t.yaml:1:7: wait: must be an integer between 0 and 20, not 1.5\n");
  EXPECT_EQ(problems(top(), "wait: '5'\n"),
            "t.yaml:1:7: wait: must be an integer between 0 and 20, not '5'\n");
}

TEST(Schema, Durations) {
  EXPECT_EQ(problems(top(), "every: 1h30m\n"), "");
  EXPECT_EQ(parseDuration("1h30m")->count(), 5'400'000);
  EXPECT_EQ(parseDuration("250ms")->count(), 250);
  EXPECT_FALSE(parseDuration("5"));
  EXPECT_FALSE(parseDuration("5 m"));
  EXPECT_FALSE(parseDuration("-5s"));
  EXPECT_EQ(problems(top(), "every: 5 minutes\n"),
            "t.yaml:1:8: every: must be a duration such as 250ms, 30s, 5m, 1h30m or 2d, not '5 "
            "minutes'\n");
}

TEST(Schema, StringsAreStrings) {
  EXPECT_EQ(problems(top(), "name: 12\n"), "t.yaml:1:7: name: must be a string, not 12\n");
}

TEST(Schema, UnsetVariables) {
  ::unsetenv("RIPOSTE_SCHEMA_UNSET");
  // Optional when empty: as if absent.
  Document d;
  EXPECT_EQ(problems(top(), "topic: ${RIPOSTE_SCHEMA_UNSET}\n", &d), "");
  EXPECT_FALSE(d.value.get_object().contains("topic"));
  // Elsewhere: an error naming it.
  EXPECT_EQ(problems(top(), "name: ${RIPOSTE_SCHEMA_UNSET}\n"),
            "t.yaml:1:7: name: environment variable RIPOSTE_SCHEMA_UNSET is not set (set it, or "
            "give a default: ${RIPOSTE_SCHEMA_UNSET:-value})\n");
}

TEST(Schema, EveryProblemIsReported) {
  auto all = problems(top(), "saftey: 1\nstore: mysql://x\nlisten: a:99999\nwait: -1\n");
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 4) << all;
}

TEST(Schema, ListsMapsAndTaggedItems) {
  Registry r;
  ASSERT_TRUE(r.addType("sink", "file",
                        Schema::object({Field("path", Schema::string("p")).needed()}, "a file")));
  ASSERT_TRUE(r.addType(
      "sink", "syslog",
      Schema::object({Field("port", Schema::integer(1, 65535, "port")).byDefault(514)}, "syslog")));
  EXPECT_FALSE(r.addType("sink", "file", Schema::any("again")));
  Schema s = Schema::object(
      {Field("sinks", Schema::list(r.tagged("sink", "type", "a sink"), "sinks")),
       Field("accounts",
             Schema::map(Schema::object({Field("role_arn", Schema::string("r"))}, "a"), "by id",
                         [](const json::value& key) {
                           std::vector<Problem> p;
                           if (key.get_string().size() != 12)
                             p.push_back({"", "an account id is 12 digits"});
                           return p;
                         }))},
      "top");
  EXPECT_EQ(problems(s,
                     "sinks:\n  - {type: file, pth: /x}\n  - {type: syslog, port: 0}\n"
                     "  - {type: kafka}\n  - {name: x}\naccounts:\n  \"12\": {role_arn: a}\n"),
            "t.yaml:2:18: sinks[0].pth: unknown key 'pth' (did you mean 'path'?)\n"
            "t.yaml:2:5: sinks[0].path: is required\n"
            "t.yaml:3:26: sinks[1].port: must be an integer between 1 and 65535, not 0\n"
            "t.yaml:4:12: sinks[2].type: unknown type 'kafka' (known: file, syslog)\n"
            "t.yaml:5:5: sinks[3].type: is required (one of file, syslog)\n"
            "t.yaml:7:3: accounts.12: an account id is 12 digits\n");
}

TEST(Schema, ModuleParsersReportPathsInsideTheirValue) {
  Schema s = Schema::object(
      {Field("limits", Schema::any("limits",
                                   [](const json::value& v) {
                                     std::vector<Problem> p;
                                     if (v.is_array() && !v.get_array().empty())
                                       p.push_back({"[0].on_limit", "must be stop or queue"});
                                     return p;
                                   }))},
      "top");
  EXPECT_EQ(problems(s, "limits:\n  - max: 3\n    on_limit: panic\n"),
            "t.yaml:3:15: limits[0].on_limit: must be stop or queue\n");
}

TEST(Suggest, ClosestKeys) {
  EXPECT_EQ(closest("playbok", {"name", "playbook", "description"}), "playbook");
  EXPECT_EQ(closest("descripton", {"name", "playbook", "description"}), "description");
  EXPECT_EQ(closest("zzzzzz", {"name", "playbook"}), "");
  EXPECT_EQ(closest("nmae", {"name"}), "name");
}

}  // namespace
}  // namespace riposte::config
