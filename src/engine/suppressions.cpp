#include "engine/suppressions.h"

#include <set>

#include "engine/incident.h"

namespace riposte::engine {

Result<std::vector<policy::Suppression>> storedSuppressions(store::Store& store) {
  auto recs = store.listSuppressions();
  if (!recs) return fail(recs.error());
  std::vector<policy::Suppression> out;
  out.reserve(recs->size());
  for (const auto& r : *recs) {
    auto v = parseJson(r.json);
    if (!v) return fail("StoreError", "stored suppression '" + r.name + "': " + v.error().message);
    auto s = policy::suppressionFromStored(*v);
    if (!s) return fail("StoreError", "stored suppression '" + r.name + "': " + s.error().message);
    s->created_ms = r.created_ms;
    s->created_by = r.created_by;
    out.push_back(std::move(*s));
  }
  return out;
}

Result<policy::Suppression> createSuppression(store::Store& store, const Config& cfg,
                                              const json::value& body, const std::string& by,
                                              int64_t now_ms) {
  policy::Problems problems;
  auto s = policy::parseSuppression(body, "body", policy::Origin::kStore, now_ms, problems, by);
  if (!s) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p.path + ": " + p.message;
    return fail("InvalidSuppression", msg);
  }
  if (auto f = cfg.suppression_files.find(s->name); f != cfg.suppression_files.end()) {
    return fail("Conflict", "suppression '" + s->name + "' is defined by the configuration (" +
                                f->second + ")");
  }
  if (s->guardduty_archive && !cfg.guardduty) {
    return fail("InvalidSuppression",
                "body.guardduty: archive needs the GuardDuty detector its filter is made on, and "
                "no policies file has a `guardduty: {detector_id: …}` section");
  }
  s->created_by = by;
  json::object stored = policy::suppressionJson(*s, now_ms);
  stored.erase("expired");
  stored.erase("deletable");
  store::SuppressionRecord rec{s->name, json::serialize(stored), s->created_ms, by};
  if (auto r = store.insertSuppression(rec, s->reason); !r) return fail(r.error());
  return s;
}

Result<void> deleteSuppression(store::Store& store, const Config& cfg, const std::string& name,
                               const std::string& by, const std::string& reason, int64_t now_ms) {
  if (auto f = cfg.suppression_files.find(name); f != cfg.suppression_files.end()) {
    return fail("NotDeletable", "suppression '" + name + "' is defined by the configuration (" +
                                    f->second + "): remove it from that file");
  }
  auto r = store.deleteSuppression(name, by, reason, now_ms);
  if (!r && r.error().code == "NotFound")
    return fail("NotFound", "no suppression named '" + name + "'");
  return r;
}

std::vector<policy::Suppression> effectiveSuppressions(const Config& cfg,
                                                       std::vector<policy::Suppression> stored,
                                                       std::vector<std::string>* shadowed) {
  std::vector<policy::Suppression> out = cfg.suppressions;
  out.reserve(out.size() + stored.size());
  for (auto& s : stored) {
    if (cfg.suppression_files.count(s.name)) {
      if (shadowed) shadowed->push_back(s.name);
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

void addResourceFacts(const json::object& event, policy::EventFacts& facts) {
  facts.tags = policy::resourceTagsOf(event);
  std::string id = describeIncident(event).resource_id;
  if (!id.empty()) facts.resource_ids.push_back(std::move(id));
}

json::object suppressionsJson(const Config& cfg, const std::vector<policy::Suppression>& effective,
                              int64_t now_ms) {
  json::array list;
  for (const auto& s : effective) {
    json::object o = policy::suppressionJson(s, now_ms);
    if (auto f = cfg.suppression_files.find(s.name);
        f != cfg.suppression_files.end() && s.origin == policy::Origin::kConfig)
      o["file"] = f->second;
    list.push_back(std::move(o));
  }
  return json::object{{"suppressions", std::move(list)}};
}

}  // namespace riposte::engine
