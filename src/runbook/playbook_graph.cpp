#include "runbook/playbook_graph.h"

#include <algorithm>
#include <functional>

#include "runbook/choice_words.h"
#include "runbook/text.h"

namespace riposte::runbook {

Graph buildGraph(const json::value& definition) {
  Graph g;
  const auto* def = definition.if_object();
  if (!def) return g;
  const auto* states = asObject(member(*def, "States"));
  if (!states) return g;
  for (const auto& kv : *states) {
    if (!kv.value().is_object()) continue;
    g.names.emplace_back(kv.key());
    g.states.push_back(&kv.value().get_object());
  }
  g.start = g.find(stringMember(*def, "StartAt"));
  for (std::size_t i = 0; i < g.states.size(); ++i) {
    const auto& s = *g.states[i];
    int from = static_cast<int>(i);
    auto add = [&](const std::string& target, GEdge::Kind kind, std::string label) {
      int to = g.find(target);
      if (to >= 0) g.edges.push_back(GEdge{from, to, kind, std::move(label)});
    };
    if (const auto* n = member(s, "Next"); n && n->is_string()) {
      add(std::string(n->get_string()), GEdge::Next, "");
    }
    if (const auto* cs = member(s, "Choices"); cs && cs->is_array()) {
      for (const auto& c : cs->get_array()) {
        const auto* co = c.if_object();
        if (co) add(stringMember(*co, "Next"), GEdge::Choice, describeChoiceRule(c));
      }
    }
    if (const auto* d = member(s, "Default"); d && d->is_string()) {
      add(std::string(d->get_string()), GEdge::Default, "Default");
    }
    if (const auto* cs = member(s, "Catch"); cs && cs->is_array()) {
      for (const auto& c : cs->get_array()) {
        const auto* co = c.if_object();
        if (co) {
          add(stringMember(*co, "Next"), GEdge::Catch,
              "Catch: " + errorNames(member(*co, "ErrorEquals")));
        }
      }
    }
  }

  // Depth-first from StartAt (then from states nothing reaches): discovery order, back edges,
  // and the reverse postorder that orders the longest-path layering.
  const std::size_t n = g.states.size();
  g.discovered.assign(n, -1);
  g.back.assign(g.edges.size(), false);
  std::vector<int> color(n, 0), postorder;
  std::vector<std::vector<int>> out(n);
  for (std::size_t e = 0; e < g.edges.size(); ++e)
    out[static_cast<std::size_t>(g.edges[e].from)].push_back(static_cast<int>(e));
  int counter = 0;
  std::function<void(int)> dfs = [&](int u) {
    color[static_cast<std::size_t>(u)] = 1;
    g.discovered[static_cast<std::size_t>(u)] = counter++;
    for (int e : out[static_cast<std::size_t>(u)]) {
      int v = g.edges[static_cast<std::size_t>(e)].to;
      if (color[static_cast<std::size_t>(v)] == 1) {
        g.back[static_cast<std::size_t>(e)] = true;
      } else if (color[static_cast<std::size_t>(v)] == 0) {
        dfs(v);
      }
    }
    color[static_cast<std::size_t>(u)] = 2;
    postorder.push_back(u);
  };
  if (g.start >= 0) dfs(g.start);
  for (std::size_t i = 0; i < n; ++i)
    if (color[i] == 0) dfs(static_cast<int>(i));
  g.layer.assign(n, 0);
  for (auto it = postorder.rbegin(); it != postorder.rend(); ++it) {
    for (int e : out[static_cast<std::size_t>(*it)]) {
      if (g.back[static_cast<std::size_t>(e)]) continue;
      int v = g.edges[static_cast<std::size_t>(e)].to;
      g.layer[static_cast<std::size_t>(v)] = std::max(g.layer[static_cast<std::size_t>(v)],
                                                      g.layer[static_cast<std::size_t>(*it)] + 1);
    }
  }
  for (int l : g.layer) g.layers = std::max(g.layers, l + 1);
  for (std::size_t i = 0; i < n; ++i) g.order.push_back(static_cast<int>(i));
  std::sort(g.order.begin(), g.order.end(), [&](int a, int b) {
    auto ka = std::make_pair(g.layer[static_cast<std::size_t>(a)],
                             g.discovered[static_cast<std::size_t>(a)]);
    auto kb = std::make_pair(g.layer[static_cast<std::size_t>(b)],
                             g.discovered[static_cast<std::size_t>(b)]);
    return ka < kb;
  });
  return g;
}

std::vector<std::string> executionOrder(const json::value& definition) {
  Graph g = buildGraph(definition);
  std::vector<std::string> out;
  for (int i : g.order) out.push_back(g.names[static_cast<std::size_t>(i)]);
  return out;
}

}  // namespace riposte::runbook
