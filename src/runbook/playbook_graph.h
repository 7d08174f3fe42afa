#pragma once
// A playbook's state list as a graph: the transitions (Next, each Choice rule, Default, each
// Catch), the execution order the runbook lists states in, and the layers the SVG diagram
// draws.

#include <string>
#include <vector>

#include "core/json.h"

namespace riposte::runbook {

// One transition; `label` says when it is taken ("" for Next).
struct GEdge {
  int from = 0, to = 0;
  enum Kind { Next, Choice, Default, Catch } kind = Next;
  std::string label;  // "" for Next
};

// A state list (the top level, a Parallel branch or a Map processor) as a graph.
struct Graph {
  std::vector<std::string> names;  // definition order
  std::vector<const json::object*> states;
  std::vector<GEdge> edges;
  int start = -1;
  std::vector<int> layer, discovered;  // per state
  std::vector<bool> back;              // per edge: closes a cycle
  std::vector<int> order;              // execution order
  int layers = 0;

  int find(const std::string& n) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == n) return static_cast<int>(i);
    return -1;
  }
};

// The graph of one state list (top level only: a Parallel's branches and a Map's processor are
// state lists of their own). Execution order: longest path from StartAt, ties in discovery
// order; states no path reaches come last. Back edges (closing a loop) are marked.
Graph buildGraph(const json::value& definition);

// A playbook's top-level state names in execution order.
std::vector<std::string> executionOrder(const json::value& definition);

}  // namespace riposte::runbook
