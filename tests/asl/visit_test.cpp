// asl::forEachState: one walk over a definition's states, into Parallel branches and Map
// processors, in document order with each state's nested states right after it.
#include "asl/visit.h"

#include <gtest/gtest.h>

namespace riposte::asl {
namespace {

TEST(Visit, WalksNestedStatesDepthFirstInDocumentOrder) {
  auto def = parseJson(R"({"StartAt": "P", "States": {
    "P": {"Type": "Parallel", "Next": "M", "Branches": [
      {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r:a", "End": true}}},
      {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]},
    "M": {"Type": "Map", "Next": "Old", "ItemProcessor": {"StartAt": "C", "States": {
      "C": {"Type": "Task", "Resource": "r:c", "End": true}}}},
    "Old": {"Type": "Map", "Next": "Bad", "Iterator": {"StartAt": "D", "States": {
      "D": {"Type": "Succeed"}}}},
    "Bad": "not an object",
    "E": {"Next": "x"}}})");
  ASSERT_TRUE(def);
  std::vector<std::string> seen;
  forEachState(*def, [&](const VisitedState& s) {
    seen.push_back(std::string(s.name) + ":" + std::string(s.type) + ":" + std::to_string(s.depth) +
                   ":" + s.path);
  });
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "P:Parallel:0:$.States.P",
                      "A:Task:1:$.States.P.Branches[0].States.A",
                      "B:Pass:1:$.States.P.Branches[1].States.B",
                      "M:Map:0:$.States.M",
                      "C:Task:1:$.States.M.ItemProcessor.States.C",
                      "Old:Map:0:$.States.Old",
                      "D:Succeed:1:$.States.Old.Iterator.States.D",
                      "E::0:$.States.E",
                  }));
  const auto& states = def->as_object().at("States").as_object();
  EXPECT_EQ(nestedStateLists(states.at("P").as_object()).size(), 2u);
  EXPECT_EQ(nestedStateLists(states.at("M").as_object()).size(), 1u);
  EXPECT_TRUE(nestedStateLists(states.at("E").as_object()).empty());
}

TEST(Visit, AShapelessDefinitionHasNoStates) {
  int n = 0;
  for (const char* text : {"[]", "{}", R"({"States": []})", "42"}) {
    auto def = parseJson(text);
    ASSERT_TRUE(def) << text;
    forEachState(*def, [&](const VisitedState&) { ++n; });
  }
  EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace riposte::asl
