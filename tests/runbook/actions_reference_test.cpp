// docs/actions.md's reference tables are generated from the action descriptors and current;
// every undo the hand-written prose of docs/actions.md and docs/runbook.md names is one release
// performs (the descriptor's undo).
#include "runbook/actions_reference.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace riposte::runbook {
namespace {

namespace fs = std::filesystem;

std::string readDoc(const std::string& relative) {
  std::ifstream in(fs::path(RIPOSTE_SOURCE_DIR) / relative, std::ios::binary);
  EXPECT_TRUE(in) << relative << " is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ActionsReference, DocsActionsMdIsCurrent) {
  const std::string doc = readDoc("docs/actions.md");
  auto committed = actionsReferenceOf(doc);
  ASSERT_TRUE(committed) << committed.error().message;
  const std::string fresh = actionsReference(actions::Registry::builtins());
  if (*committed != fresh) {
    std::ofstream(fs::temp_directory_path() / "actions.fresh.md", std::ios::binary) << fresh;
  }
  ASSERT_TRUE(*committed == fresh)
      << "docs/actions.md's generated tables are stale: run `build/bin/riposte docs --actions -o "
         "docs/actions.md`; fresh copy in "
      << (fs::temp_directory_path() / "actions.fresh.md").string();
}

TEST(ActionsReference, NamesEveryActionItsRoleUndoAndPermissions) {
  auto registry = actions::Registry::builtins();
  const std::string md = actionsReference(registry);
  for (const auto& name : registry.names()) {
    const actions::Descriptor& d = registry.find(name)->descriptor();
    std::string row = "| `" + name + "` | " + std::string(actions::roleName(d.role)) + " | " +
                      (d.undo.empty() ? "none" : "`" + d.undo + "`") + " |";
    EXPECT_NE(md.find(row), std::string::npos) << row;
    for (const auto& p : d.permissions) {
      EXPECT_NE(md.find("| `" + name + "` | `" + p.action + "` |"), std::string::npos)
          << name << " " << p.action;
    }
  }
  EXPECT_NE(md.find("`StringEquals iam:PassedToService = ec2.amazonaws.com`"), std::string::npos);
  EXPECT_NE(md.find("only when the Task's Parameters have `wafIpSetName`"), std::string::npos);
}

TEST(ActionsReference, SplicesBetweenTheMarkersOnly) {
  const std::string doc =
      std::string("prose before\n") + kActionsBegin + "\nold\n" + kActionsEnd + "\nprose after\n";
  auto out = spliceActionsReference(doc, "new table\n");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, std::string("prose before\n") + kActionsBegin + "\nnew table\n" + kActionsEnd +
                      "\nprose after\n");
  EXPECT_EQ(*actionsReferenceOf(*out), "new table\n");
  auto missing = spliceActionsReference("no markers", "x");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "InvalidArgument");
}

// "## aws.ec2.releaseInstance (undo of isolateInstance)" and "Undone by `aws.…`" in a section:
// the named undo is the descriptor's.
TEST(ActionsReference, EveryUndoTheProseNamesIsTheDescriptors) {
  auto registry = actions::Registry::builtins();
  const std::string doc = readDoc("docs/actions.md");
  std::istringstream lines(doc);
  std::string section;  // the action the current "## <name>" section is about
  int headings = 0, sentences = 0;
  const std::regex heading(R"(^## (aws\.[A-Za-z0-9]+\.[A-Za-z]+) \(undo of ([A-Za-z.]+)\))");
  const std::regex plain(R"(^## (aws\.[A-Za-z0-9]+\.[A-Za-z]+)\b)");
  std::string text;
  for (std::string l; std::getline(lines, l);) {
    std::smatch m;
    if (std::regex_search(l, m, heading)) {
      ++headings;
      const std::string undo = m[1];
      std::string of = m[2];
      if (of.find('.') == std::string::npos) of = undo.substr(0, undo.rfind('.') + 1) + of;
      const actions::Action* a = registry.find(of);
      ASSERT_NE(a, nullptr) << l;
      EXPECT_EQ(a->descriptor().undo, undo) << l;
      section = undo;
    } else if (std::regex_search(l, m, plain)) {
      section = m[1];
    }
    if (l.rfind("## ", 0) == 0) text.clear();
    text += l + " ";
    std::smatch u;
    const std::regex undone(R"(Undone by `(aws\.[A-Za-z0-9.]+)`)");
    if (std::regex_search(text, u, undone) && !section.empty()) {
      ++sentences;
      const actions::Action* a = registry.find(section);
      ASSERT_NE(a, nullptr) << section;
      EXPECT_EQ(a->descriptor().undo, std::string(u[1])) << section;
      text.clear();
    }
  }
  EXPECT_GE(headings, 3);
  EXPECT_GE(sentences, 1);
  // The runbook names undos only as "release runs riposte:<undo>", each a real undo.
  const std::string runbook = readDoc("docs/runbook.md");
  const std::regex runs(R"(release runs riposte:(aws\.[A-Za-z0-9.]+[A-Za-z]), which)");
  int n = 0;
  for (auto it = std::sregex_iterator(runbook.begin(), runbook.end(), runs);
       it != std::sregex_iterator(); ++it, ++n) {
    EXPECT_FALSE(registry.undoOf((*it)[1].str()).empty()) << (*it)[1].str();
  }
  EXPECT_GE(n, 5);
  EXPECT_EQ(runbook.find("Undone by"), std::string::npos);
}

}  // namespace
}  // namespace riposte::runbook
