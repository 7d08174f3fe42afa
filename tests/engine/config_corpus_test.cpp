// The corpus of broken configurations (tests/engine/config_corpus/<case>/): each case is a
// configuration directory (config/) and the exact problems the loader reports for it
// (expected.txt: "file:line:column: path: message", one a line, in the loader's order). The
// same corpus goes through the `riposte validate` binary in tests/integration/
// test_config_corpus.py. A case is added by adding a directory: this test finds them all.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "actions/registry.h"
#include "engine/config.h"
#include "sinks/sink.h"
#include "sources/config.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(RIPOSTE_SOURCE_DIR) / "tests/engine/config_corpus";

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kCorpus))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class ConfigCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(ConfigCorpus, ReportsExactlyTheExpectedProblems) {
  // The variables the corpus leaves unset.
  for (const char* v : {"RIPOSTE_CORPUS_UNSET_STORE", "RIPOSTE_CORPUS_UNSET_TOPIC",
                        "RIPOSTE_CORPUS_UNSET_DRY", "RIPOSTE_CORPUS_UNSET_PLAYBOOK"})
    ::unsetenv(v);
  config::Registry registry;
  ASSERT_TRUE(sinks::registerConfig(registry));
  ASSERT_TRUE(sources::registerConfig(registry));
  static const actions::Registry actions = actions::Registry::builtins();
  Checkers checkers;
  checkers.registry = &registry;
  checkers.known_resource = [](std::string_view r) { return actions.find(r) != nullptr; };

  const fs::path dir = kCorpus / GetParam();
  std::vector<Problem> problems;
  auto cfg = loadConfig((dir / "config").string(), checkers, problems);
  std::string got;
  for (const auto& p : problems) got += p.str() + "\n";
  const std::string expected = readText(dir / "expected.txt");
  ASSERT_FALSE(expected.empty()) << GetParam() << ": a case expects at least one problem";
  EXPECT_FALSE(cfg) << GetParam();
  EXPECT_EQ(got, expected) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Cases, ConfigCorpus, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string n = info.param;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

// The corpus covers every example of issue 10, each in a case of its own.
TEST(ConfigCorpusCoverage, HoldsEveryExampleOfTheIssue) {
  const auto all = cases();
  for (const char* c :
       {"dry-run-yes", "dry-run-True-capital", "dry-run-1", "dry-run-on", "dry-run-tru",
        "saftey-typo", "rule-playbok", "rule-descripton", "rule-enabled-maybe", "store-mysql",
        "listen-99999", "pattern-deep-several", "asl-json-real-line", "asl-yaml", "jsonpath-error",
        "sink-bad-key", "sqs-bad", "policies-bad", "unset-var"}) {
    EXPECT_NE(std::find(all.begin(), all.end(), c), all.end()) << c;
  }
}

}  // namespace
}  // namespace riposte::engine
