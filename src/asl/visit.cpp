#include "asl/visit.h"

namespace riposte::asl {
namespace {

void walk(const json::value& definition, int depth, const std::string& prefix,
          const std::function<void(const VisitedState&)>& visit) {
  const json::object* def = definition.if_object();
  if (!def) return;
  const json::value* states_v = def->if_contains("States");
  const json::object* states = states_v ? states_v->if_object() : nullptr;
  if (!states) return;
  for (const auto& kv : *states) {
    const json::object* st = kv.value().if_object();
    if (!st) continue;
    const json::value* type = st->if_contains("Type");
    VisitedState v;
    v.name = kv.key();
    v.state = st;
    v.type = type && type->is_string() ? std::string_view(type->get_string()) : std::string_view();
    v.depth = depth;
    v.path = prefix + ".States." + std::string(kv.key());
    visit(v);
    if (const json::value* b = st->if_contains("Branches"); b && b->is_array()) {
      std::size_t i = 0;
      for (const auto& branch : b->get_array()) {
        walk(branch, depth + 1, v.path + ".Branches[" + std::to_string(i++) + "]", visit);
      }
    }
    for (const char* key : {"ItemProcessor", "Iterator"}) {
      if (const json::value* p = st->if_contains(key)) {
        walk(*p, depth + 1, v.path + "." + key, visit);
      }
    }
  }
}

}  // namespace

void forEachState(const json::value& definition,
                  const std::function<void(const VisitedState&)>& visit) {
  walk(definition, 0, "$", visit);
}

std::vector<const json::value*> nestedStateLists(const json::object& state) {
  std::vector<const json::value*> out;
  if (const json::value* b = state.if_contains("Branches"); b && b->is_array()) {
    for (const auto& branch : b->get_array()) out.push_back(&branch);
  }
  for (const char* key : {"ItemProcessor", "Iterator"}) {
    if (const json::value* p = state.if_contains(key); p && p->is_object()) out.push_back(p);
  }
  return out;
}

}  // namespace riposte::asl
