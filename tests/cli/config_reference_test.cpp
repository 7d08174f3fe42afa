// README.md's configuration reference ("Reference: every key") is the one `riposte docs
// --config-reference` generates from the schemas the loader checks, and every key of the
// shipped riposte.yaml and rules and of README's riposte.yaml and rule examples is a key it
// lists: neither the reference nor the examples can drift from what is accepted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/config_loader.h"
#include "cli/docs_command.h"
#include "config/document.h"
#include "config/reference.h"
#include "engine/config.h"
#include "policy/schema.h"

namespace riposte::cli {
namespace {

namespace fs = std::filesystem;

std::string readSource(const std::string& relative) {
  std::ifstream in(fs::path(RIPOSTE_SOURCE_DIR) / relative, std::ios::binary);
  EXPECT_TRUE(in) << relative << " is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string generated() {
  DocsOptions o;
  o.config_reference = true;
  std::ostringstream out, err;
  EXPECT_EQ(runDocs(o, out, err), 0) << err.str();
  return out.str();
}

std::set<std::string> listed(const config::Schema& s) {
  std::set<std::string> keys;
  for (const auto& r : config::referenceRows(s)) keys.insert(r.key);
  return keys;
}

// The keys of `value` (read from `what`) that the reference of `schema` does not list.
std::vector<std::string> unlisted(const config::Schema& schema, const json::value& value) {
  const std::set<std::string> keys = listed(schema);
  std::vector<std::string> out;
  for (const auto& k : config::referenceKeysOf(schema, value))
    if (!keys.count(k)) out.push_back(k);
  return out;
}

json::value readYamlValue(const std::string& text, const std::string& what) {
  std::vector<config::Located> problems;
  auto doc = config::readYaml(text, what, problems, /*expand=*/false);
  EXPECT_TRUE(doc.has_value()) << what;
  for (const auto& p : problems) ADD_FAILURE() << p.str();
  return doc ? doc->value : json::value();
}

// The ```yaml blocks of README.md that follow `<!-- example: WHAT -->`.
std::vector<std::string> readmeExamples(const std::string& readme, const std::string& what) {
  const std::string marker = "<!-- example: " + what + " -->\n```yaml\n";
  std::vector<std::string> out;
  for (auto at = readme.find(marker); at != std::string::npos; at = readme.find(marker, at + 1)) {
    const auto begin = at + marker.size();
    const auto end = readme.find("\n```", begin);
    if (end == std::string::npos) {
      ADD_FAILURE() << "an unterminated " << what << " example in README.md";
      break;
    }
    out.push_back(readme.substr(begin, end + 1 - begin));
  }
  return out;
}

TEST(ConfigReference, ReadmeIsCurrent) {
  auto committed = config::configReferenceOf(readSource("README.md"));
  ASSERT_TRUE(committed) << committed.error().message;
  const std::string fresh = generated();
  if (*committed != fresh) {
    std::ofstream(fs::temp_directory_path() / "config-reference.fresh.md", std::ios::binary)
        << fresh;
  }
  ASSERT_TRUE(*committed == fresh)
      << "README.md's configuration reference is stale: run `build/bin/riposte docs "
         "--config-reference -o README.md`; fresh copy in "
      << (fs::temp_directory_path() / "config-reference.fresh.md").string();
}

TEST(ConfigReference, IsUnderTheConfigurationSection) {
  const std::string readme = readSource("README.md");
  const auto section = readme.find("\n## Configuration (a directory)\n");
  const auto heading = readme.find("\n### Reference: every key\n");
  const auto begin = readme.find(config::kConfigReferenceBegin);
  const auto next = readme.find("\n## ", section + 1);
  ASSERT_NE(section, std::string::npos);
  ASSERT_NE(heading, std::string::npos);
  EXPECT_LT(section, heading);
  EXPECT_LT(heading, begin);
  EXPECT_LT(begin, next);
}

TEST(ConfigReference, ListsEveryRegisteredSinkAndSourceType) {
  const std::string md = generated();
  for (const auto& [type, _] : configRegistry().types("sink"))
    EXPECT_NE(md.find("| `sinks[].type=" + type + ".name` |"), std::string::npos) << type;
  for (const auto& [type, _] : configRegistry().types("source"))
    EXPECT_NE(md.find("| `sources." + type + "` |"), std::string::npos) << type;
  EXPECT_NE(md.find("| `safety.dry_run` | bool | `false` | optional |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `name` | string | — | required |"), std::string::npos) << md;
}

TEST(ConfigReference, EveryKeySaysWhatItIs) {
  for (const config::Schema& s : {engine::settingsSchema(configRegistry()), engine::ruleSchema()})
    for (const auto& r : config::referenceRows(s)) {
      EXPECT_FALSE(r.doc.empty()) << r.key << " has no doc";
      EXPECT_FALSE(r.type.empty()) << r.key << " has no type";
    }
}

TEST(ConfigReference, WritesIntoTheFileBetweenTheMarkers) {
  const fs::path file = fs::temp_directory_path() / "riposte-config-reference-test.md";
  std::ofstream(file, std::ios::binary) << "# Title\n\nprose\n"
                                        << config::kConfigReferenceBegin << "\nold\n"
                                        << config::kConfigReferenceEnd << "\nafter\n";
  DocsOptions o;
  o.config_reference = true;
  o.output = file.string();
  std::ostringstream out, err;
  ASSERT_EQ(runDocs(o, out, err), 0) << err.str();
  const std::string written = [&] {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  EXPECT_EQ(written, std::string("# Title\n\nprose\n") + config::kConfigReferenceBegin + "\n" +
                         generated() + config::kConfigReferenceEnd + "\nafter\n");
  // No markers: nothing written, exit 2.
  std::ofstream(file, std::ios::binary | std::ios::trunc) << "no markers\n";
  std::ostringstream err2;
  EXPECT_EQ(runDocs(o, out, err2), 2);
  EXPECT_NE(err2.str().find("section to generate"), std::string::npos) << err2.str();
  fs::remove(file);
}

TEST(ConfigReference, ShippedRiposteYamlHasOnlyListedKeys) {
  const config::Schema schema = engine::settingsSchema(configRegistry());
  const json::value v = readYamlValue(readSource("config/default/riposte.yaml"), "riposte.yaml");
  EXPECT_FALSE(config::referenceKeysOf(schema, v).empty());
  EXPECT_EQ(unlisted(schema, v), std::vector<std::string>{});
}

TEST(ConfigReference, ShippedRulesHaveOnlyListedKeys) {
  const config::Schema schema = engine::ruleSchema();
  int files = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(RIPOSTE_SOURCE_DIR) / "config/default/rules")) {
    const std::string rel = "config/default/rules/" + e.path().filename().string();
    json::value v = readYamlValue(readSource(rel), rel);
    if (v.is_object() && v.get_object().contains("rules")) v = v.get_object()["rules"];
    const json::array items = v.is_array() ? v.get_array() : json::array{v};
    for (const auto& rule : items)
      EXPECT_EQ(unlisted(schema, rule), std::vector<std::string>{}) << rel;
    ++files;
  }
  EXPECT_GT(files, 0);
}

TEST(ConfigReference, ReadmeExamplesHaveOnlyListedKeys) {
  const std::string readme = readSource("README.md");
  const config::Schema settings = engine::settingsSchema(configRegistry());
  const auto settings_examples = readmeExamples(readme, "riposte.yaml");
  // The riposte.yaml example and the approvals one.
  EXPECT_GE(settings_examples.size(), 2u);
  for (const auto& text : settings_examples) {
    const json::value v = readYamlValue(text, "README.md riposte.yaml example");
    EXPECT_FALSE(config::referenceKeysOf(settings, v).empty()) << text;
    EXPECT_EQ(unlisted(settings, v), std::vector<std::string>{}) << text;
  }
  const config::Schema rule = engine::ruleSchema();
  const auto rule_examples = readmeExamples(readme, "rule");
  EXPECT_GE(rule_examples.size(), 1u);
  for (const auto& text : rule_examples) {
    const json::value v = readYamlValue(text, "README.md rule example");
    EXPECT_FALSE(config::referenceKeysOf(rule, v).empty()) << text;
    EXPECT_EQ(unlisted(rule, v), std::vector<std::string>{}) << text;
  }
}

// The examples check holds a typo to account: a key the schemas do not know is unlisted.
TEST(ConfigReference, AnUnknownKeyInAnExampleIsUnlisted) {
  const config::Schema settings = engine::settingsSchema(configRegistry());
  const json::value v = readYamlValue(
      "saftey: {dry_run: true}\nsinks:\n  - {type: syslog, name: s, prot: 1}\n", "typo");
  EXPECT_EQ(unlisted(settings, v),
            (std::vector<std::string>{"saftey", "sinks[].type=syslog.prot"}));
}

// policies/*.yaml: the shipped files and README's policy examples hold only listed keys, and
// the reference lists every policy section.
TEST(ConfigReference, ShippedPoliciesAndReadmePolicyExamplesHaveOnlyListedKeys) {
  const config::Schema& schema = policy::policiesSchema();
  int files = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(RIPOSTE_SOURCE_DIR) / "config/default/policies")) {
    const std::string rel = "config/default/policies/" + e.path().filename().string();
    const json::value v = readYamlValue(readSource(rel), rel);
    EXPECT_FALSE(config::referenceKeysOf(schema, v).empty()) << rel;
    EXPECT_EQ(unlisted(schema, v), std::vector<std::string>{}) << rel;
    ++files;
  }
  EXPECT_GT(files, 0);
  const auto examples = readmeExamples(readSource("README.md"), "policies");
  // Threat intelligence, limits with the breaker and scope, suppressions.
  EXPECT_GE(examples.size(), 3u);
  for (const auto& text : examples) {
    const json::value v = readYamlValue(text, "README.md policies example");
    EXPECT_FALSE(config::referenceKeysOf(schema, v).empty()) << text;
    EXPECT_EQ(unlisted(schema, v), std::vector<std::string>{}) << text;
  }
  const std::string md = generated();
  EXPECT_NE(md.find("#### policies/*.yaml"), std::string::npos);
  for (const auto& section : policy::policySectionNames())
    EXPECT_NE(md.find("| `" + section + "`"), std::string::npos) << section;
  EXPECT_NE(md.find("| `limits[].on_limit`"), std::string::npos);
  EXPECT_NE(md.find("| `threat_intel.lists[].csv.column_index`"), std::string::npos);
}

}  // namespace
}  // namespace riposte::cli
