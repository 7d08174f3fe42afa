// The configuration reference (src/config/reference.h): a row per key with its type words,
// default and whether it is required, for mappings, lists, maps and tagged variants; the keys
// of a document as the reference names them; the README block's markers.
#include "config/reference.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "config/registry.h"

namespace riposte::config {
namespace {

std::string table(const Schema& s) {
  return referenceTable(referenceRows(s));
}

bool hasRow(const std::string& t, const std::string& row) {
  return t.find(row + "\n") != std::string::npos;
}

Schema sinkTypes() {
  Registry r;
  EXPECT_TRUE(r.addType("sink", "file",
                        Schema::object({Field("name", Schema::string("the sink's name")).needed(),
                                        Field("path", Schema::string("the file")).needed()},
                                       "a file")));
  EXPECT_TRUE(r.addType(
      "sink", "splunk_hec",
      Schema::object({Field("name", Schema::string("the sink's name")).needed(),
                      Field("url", Schema::url({"https"}, "the HEC URL")).needed(),
                      Field("timeout_ms", Schema::integer(1, 600000, "ms")).byDefault(10000),
                      Field("host", Schema::string("host field")).defaultText("this host's name")},
                     "Splunk")));
  return Schema::list(r.tagged("sink", "type", "one sink"), "the sinks");
}

TEST(Reference, ScalarTypesInWords) {
  const Schema s = Schema::object(
      {
          Field("dry_run", Schema::boolean("plan only")).byDefault(false),
          Field("port", Schema::integer(1, 65535, "a port")).needed(),
          Field("every", Schema::duration("how often")).byDefault("30s"),
          Field("url", Schema::url({"https"}, "where")),
          Field("store", Schema::url({"sqlite", "postgresql"}, "the store")),
          Field("level", Schema::oneOf({"debug", "info", "warn"}, "log level")).byDefault("info"),
          Field("listen", Schema::listen(1, "address")).byDefault("127.0.0.1:8080"),
          Field("name", Schema::string("a name")),
          Field("named", Schema::string("a store").named("store URL")),
          Field("pattern", Schema::any("anything")),
      },
      "top");
  const std::string t = table(s);
  EXPECT_TRUE(
      t.starts_with("| key | type | default | required | description |\n"
                    "|---|---|---|---|---|\n"))
      << t;
  EXPECT_TRUE(hasRow(t, "| `dry_run` | bool | `false` | optional | plan only |")) << t;
  EXPECT_TRUE(hasRow(t, "| `port` | integer 1..65535 | — | required | a port |")) << t;
  EXPECT_TRUE(hasRow(t, "| `every` | duration | `30s` | optional | how often |")) << t;
  EXPECT_TRUE(hasRow(t, "| `url` | URL (https) | — | optional | where |")) << t;
  EXPECT_TRUE(hasRow(t, "| `store` | URL (sqlite\\|postgresql) | — | optional | the store |")) << t;
  EXPECT_TRUE(hasRow(t, "| `level` | one of debug\\|info\\|warn | `info` | optional | log level |"))
      << t;
  EXPECT_TRUE(
      hasRow(t, "| `listen` | host:port (port 1..65535) | `127.0.0.1:8080` | optional | address |"))
      << t;
  EXPECT_TRUE(hasRow(t, "| `name` | string | — | optional | a name |")) << t;
  EXPECT_TRUE(hasRow(t, "| `named` | store URL | — | optional | a store |")) << t;
  EXPECT_TRUE(hasRow(t, "| `pattern` | any | — | optional | anything |")) << t;
}

TEST(Reference, NestedMappingsListsAndDefaultsInSchemaOrder) {
  const Schema s = Schema::object(
      {
          Field("safety",
                Schema::object({Field("dry_run", Schema::boolean("plan only")).byDefault(false),
                                Field("tag", Schema::string("the tag")).byDefault("p=true")},
                               "safety switches"))
              .byDefault(json::object()),
          Field("queues",
                Schema::list(
                    Schema::object({Field("url", Schema::url({"https"}, "q")).needed(),
                                    Field("wait", Schema::integer(0, 20, "s")).byDefault(20)},
                                   "a queue"),
                    "queues polled")),
          Field("topic", Schema::string("a topic")).optionalWhenEmpty(),
          Field("groups", Schema::list(Schema::string("a name"), "names")),
      },
      "top");
  const auto rows = referenceRows(s);
  std::vector<std::string> keys;
  for (const auto& r : rows) keys.push_back(r.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"safety", "safety.dry_run", "safety.tag", "queues",
                                            "queues[].url", "queues[].wait", "topic", "groups"}));
  const std::string t = referenceTable(rows);
  // A section's empty default is no default: its keys carry theirs.
  EXPECT_TRUE(hasRow(t, "| `safety` | mapping | — | optional | safety switches |")) << t;
  EXPECT_TRUE(hasRow(t, "| `safety.tag` | string | `p=true` | optional | the tag |")) << t;
  EXPECT_TRUE(hasRow(t, "| `queues` | list of mapping | — | optional | queues polled |")) << t;
  EXPECT_TRUE(hasRow(t, "| `queues[].url` | URL (https) | — | required | q |")) << t;
  EXPECT_TRUE(hasRow(t, "| `queues[].wait` | integer 0..20 | `20` | optional | s |")) << t;
  EXPECT_TRUE(hasRow(t, "| `groups` | list of string | — | optional | names |")) << t;
  EXPECT_TRUE(hasRow(t,
                     "| `topic` | string | — | optional | a topic (an unset ${VAR} here leaves the "
                     "key unset) |"))
      << t;
}

TEST(Reference, MapKeysAreNamed) {
  const Schema account =
      Schema::object({Field("role_arn", Schema::string("the role")).needed()}, "one account");
  const Schema s = Schema::object(
      {
          Field("accounts", Schema::map(account, "by account id").keyed("account id")),
          Field("groups",
                Schema::map(Schema::list(Schema::string("a name"), "the approvers"), "groups")),
      },
      "top");
  const std::string t = table(s);
  EXPECT_TRUE(
      hasRow(t,
             "| `accounts` | map of &lt;account id&gt; → mapping | — | optional | by account id "
             "|"))
      << t;
  EXPECT_TRUE(hasRow(t, "| `accounts.<account id>` | mapping | — | optional | one account |")) << t;
  EXPECT_TRUE(hasRow(t, "| `accounts.<account id>.role_arn` | string | — | required | the role |"))
      << t;
  EXPECT_EQ(referenceType(*s.field("accounts")->schema.item), "mapping");
  EXPECT_EQ(referenceType(s.field("accounts")->schema), "map of <account id> → mapping");
  // Unnamed keys are <name>.
  EXPECT_TRUE(hasRow(t, "| `groups.<name>` | list of string | — | optional | the approvers |"))
      << t;
}

TEST(Reference, TaggedVariantsAreListedUnderTheirTag) {
  const std::string t = table(Schema::object({Field("sinks", sinkTypes())}, "top"));
  EXPECT_TRUE(hasRow(t, "| `sinks` | list of mapping by type | — | optional | the sinks |")) << t;
  EXPECT_TRUE(
      hasRow(t, "| `sinks[].type` | one of file\\|splunk_hec | — | required | the sink type |"))
      << t;
  EXPECT_TRUE(hasRow(t, "| `sinks[].type=file.path` | string | — | required | the file |")) << t;
  EXPECT_TRUE(
      hasRow(t, "| `sinks[].type=splunk_hec.url` | URL (https) | — | required | the HEC URL |"))
      << t;
  EXPECT_TRUE(hasRow(t,
                     "| `sinks[].type=splunk_hec.timeout_ms` | integer 1..600000 | `10000` | "
                     "optional | ms |"))
      << t;
  // A default the reader computes is documented in words.
  EXPECT_TRUE(hasRow(t,
                     "| `sinks[].type=splunk_hec.host` | string | this host's name | optional | "
                     "host field |"))
      << t;
  // The tag is one row, not one per variant.
  EXPECT_EQ(t.find("type=file.type"), std::string::npos) << t;
}

TEST(Reference, RendersSectionsInOrder) {
  const Schema a = Schema::object({Field("x", Schema::boolean("ex"))}, "a");
  const Schema b = Schema::object({Field("y", Schema::string("why")).needed()}, "b");
  EXPECT_EQ(renderReference({{"a.yaml", "", &a}, {"rules/*.yaml", "Each rule.", &b}}),
            "#### a.yaml\n\n| key | type | default | required | description |\n"
            "|---|---|---|---|---|\n| `x` | bool | — | optional | ex |\n"
            "\n#### rules/*.yaml\n\nEach rule.\n\n| key | type | default | required | "
            "description |\n|---|---|---|---|---|\n| `y` | string | — | required | why |\n");
}

TEST(Reference, KeysOfADocumentAreTheReferenceKeys) {
  const Schema account =
      Schema::object({Field("role_arn", Schema::string("the role")).needed()}, "one account");
  const Schema s = Schema::object(
      {
          Field("safety", Schema::object({Field("dry_run", Schema::boolean("d"))}, "s")),
          Field("accounts", Schema::map(account, "by id").keyed("account id")),
          Field("sinks", sinkTypes()),
      },
      "top");
  const auto doc = json::parse(R"({"safety": {"dry_run": true, "saftey": 1},
      "accounts": {"222222222222": {"role_arn": "arn"}},
      "sinks": [{"type": "file", "name": "a", "path": "/x"}, {"type": "syslog", "port": 514}],
      "extra": {"deep": 1}})");
  const std::vector<std::string> keys = referenceKeysOf(s, doc);
  EXPECT_EQ(keys,
            (std::vector<std::string>{
                "safety", "safety.dry_run", "safety.saftey", "accounts", "accounts.<account id>",
                "accounts.<account id>.role_arn", "sinks", "sinks[].type", "sinks[].type=file.name",
                "sinks[].type=file.path", "sinks[].type", "sinks[].type=syslog.port", "extra"}));
  // What the reference lists, and what it does not (a typo, an unknown variant, an unknown key).
  std::vector<std::string> listed;
  for (const auto& r : referenceRows(s)) listed.push_back(r.key);
  std::vector<std::string> missing;
  for (const auto& k : keys)
    if (std::find(listed.begin(), listed.end(), k) == listed.end()) missing.push_back(k);
  EXPECT_EQ(missing,
            (std::vector<std::string>{"safety.saftey", "sinks[].type=syslog.port", "extra"}));
}

TEST(Reference, SplicesBetweenTheMarkersOnly) {
  const std::string doc = std::string("prose before\n") + kConfigReferenceBegin + "\nold\n" +
                          kConfigReferenceEnd + "\nprose after\n";
  auto out = spliceConfigReference(doc, "new table\n");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, std::string("prose before\n") + kConfigReferenceBegin + "\nnew table\n" +
                      kConfigReferenceEnd + "\nprose after\n");
  auto back = configReferenceOf(*out);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "new table\n");
  auto none = spliceConfigReference("no markers\n", "x");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "InvalidArgument");
  EXPECT_FALSE(configReferenceOf(std::string(kConfigReferenceEnd) + kConfigReferenceBegin));
}

}  // namespace
}  // namespace riposte::config
