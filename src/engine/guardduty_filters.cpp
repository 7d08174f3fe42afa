#include "engine/guardduty_filters.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"

namespace riposte::engine {

namespace {

// GuardDuty answers GetFilter/DeleteFilter of a filter that does not exist with a 400
// BadRequestException ("… no such resource found" / "… not found").
bool notFound(const Error& e) {
  if (e.code != "BadRequestException" && e.code != "NotFound") return false;
  std::string m = e.message;
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
  return m.find("not found") != std::string::npos || m.find("no such") != std::string::npos;
}

// Whether GuardDuty's filter (GetFilter's answer) is what riposte wants. The conditions riposte
// sets are compared; legacy keys GuardDuty may echo next to them (eq, gte, …) are not.
bool same(const json::value& got, const policy::GuardDutyFilter& want) {
  if (!got.is_object()) return false;
  const auto& g = got.get_object();
  const auto* action = g.if_contains("action");
  const auto* desc = g.if_contains("description");
  const auto* fc = g.if_contains("findingCriteria");
  if (!action || *action != json::value("ARCHIVE")) return false;
  if (!desc || *desc != json::value(want.description)) return false;
  const json::value* crit =
      fc && fc->is_object() ? fc->get_object().if_contains("criterion") : nullptr;
  if (!crit || !crit->is_object() || crit->get_object().size() != want.criterion.size())
    return false;
  for (const auto& [field, cond] : want.criterion) {
    const auto* have = crit->get_object().if_contains(field);
    if (!have || !have->is_object()) return false;
    for (const auto& [k, v] : cond.get_object()) {
      const auto* hv = have->get_object().if_contains(k);
      if (!hv) return false;
      if (v.is_array()) {
        if (*hv != v) return false;
      } else {
        auto a = asNumber(*hv), b = asNumber(v);
        if (!a || !b || *a != *b) return false;
      }
    }
    static const std::set<std::string> kLegacy = {"eq", "neq", "gt", "gte", "lt", "lte"};
    for (const auto& [k, v] : have->get_object()) {
      (void)v;
      if (!cond.get_object().contains(k) && !kLegacy.count(std::string(k))) return false;
    }
  }
  return true;
}

struct Owned {
  std::string detector, region, name, suppression;
  std::vector<store::ActionRecord> records;  // the create records (succeeded or running)
};

std::string keyOf(const std::string& detector, const std::string& region, const std::string& name) {
  return detector + "\n" + region + "\n" + name;
}

}  // namespace

FilterSync::FilterSync(store::Store& store, const Clock& clock, Metrics& metrics)
    : store_(store), clock_(clock), metrics_(metrics) {}

void FilterSync::declareMetrics(Metrics& m) {
  m.declare("riposte_guardduty_filter_changes_total",
            "GuardDuty filters riposte created, updated or deleted for suppressions marked "
            "guardduty: archive, by operation and outcome (succeeded, failed).",
            "counter");
}

void FilterSync::configure(std::optional<policy::GuardDutySettings> settings,
                           std::string default_region, std::shared_ptr<aws::Client> aws) {
  std::lock_guard lock(mu_);
  settings_ = std::move(settings);
  default_region_ = std::move(default_region);
  aws_ = std::move(aws);
  dirty_ = true;
}

bool FilterSync::due(int64_t suppressions_version) const {
  std::lock_guard lock(mu_);
  return dirty_ || suppressions_version != last_version_ ||
         clock_.nowMillis() - last_ms_ >= kEveryMs;
}

Result<json::value> FilterSync::sync(const std::vector<policy::Suppression>& effective,
                                     int64_t suppressions_version) {
  std::lock_guard sync_lock(sync_mu_);
  std::optional<policy::GuardDutySettings> settings;
  std::shared_ptr<aws::Client> aws;
  std::string region;
  {
    std::lock_guard lock(mu_);
    settings = settings_;
    aws = aws_;
    region = settings && !settings->region.empty() ? settings->region : default_region_;
    dirty_ = false;
    last_version_ = suppressions_version;
    last_ms_ = clock_.nowMillis();
  }
  const int64_t now = clock_.nowMillis();
  std::vector<std::string> errors;
  int created = 0, updated = 0, deleted = 0, unchanged = 0;

  // What is wanted: a filter per suppression that applies now and asks for one.
  std::map<std::string, std::pair<policy::GuardDutyFilter, std::string>> want;  // key → filter
  if (settings) {
    for (const auto& s : effective) {
      if (!s.guardduty_archive || s.expiredAt(now)) continue;
      auto f = policy::guardDutyFilterOf(s);
      if (!f) {
        errors.push_back("suppression '" + s.name + "': " + f.error().message);
        continue;
      }
      const std::string key = keyOf(settings->detector_id, region, f->name);
      want[key] = {std::move(*f), s.name};
    }
  }
  // What riposte made: its create records, succeeded or interrupted.
  std::map<std::string, Owned> owned;
  for (const char* status : {"succeeded", "running"}) {
    auto recs = store_.actionsWithStatus({kCreate}, status);
    if (!recs) return fail(recs.error());
    for (auto& r : *recs) {
      auto in = parseJson(r.input);
      if (!in || !in->is_object()) continue;
      auto str = [&](const char* k) { return stringAt(*in, k).value_or(""); };
      Owned& o = owned[keyOf(str("detectorId"), str("region"), str("filterName"))];
      o.detector = str("detectorId");
      o.region = str("region");
      o.name = str("filterName");
      o.suppression = str("suppression");
      o.records.push_back(std::move(r));
    }
  }
  std::vector<std::string> names;  // the filters riposte keeps now
  // What this sync leaves: kept for statusJson(), and returned.
  auto finish = [&]() -> json::value {
    {
      std::lock_guard lock(mu_);
      filters_ = names;
      last_errors_ = errors;
    }
    return json::object{{"created", created},
                        {"updated", updated},
                        {"deleted", deleted},
                        {"unchanged", unchanged},
                        {"errors", json::value_from(errors)}};
  };
  if (want.empty() && owned.empty()) return finish();
  if (!aws) return fail("NotConfigured", "GuardDuty filter sync needs the AWS client");

  // One change: recorded (running) before the call, finished after it.
  auto change = [&](const char* action, const std::string& detector, const std::string& rgn,
                    const std::string& name, const std::string& suppression,
                    const json::value& before, const json::value& after, aws::Call call,
                    const std::string& summary) -> Result<bool> {
    store::ActionRecord rec;
    rec.id = newId("act");
    rec.state_name = "guardduty-filter-sync";
    rec.action = action;
    rec.status = "running";
    rec.input = json::serialize(json::object{{"detectorId", detector},
                                             {"region", rgn},
                                             {"filterName", name},
                                             {"suppression", suppression}});
    rec.before = json::serialize(before);
    rec.started_ms = clock_.nowMillis();
    if (auto r = store_.insertAction(rec); !r) return fail(r.error());
    auto r = aws->restJson(call);
    const bool gone = !r && std::string(action) == kDelete && notFound(r.error());
    rec.ended_ms = clock_.nowMillis();
    const std::string op = std::string(action).substr(std::string("aws.guardduty.").size());
    if (r || gone) {
      rec.status = "succeeded";
      rec.changed = !gone;
      rec.after = json::serialize(after);
      rec.summary = gone ? summary + " (it was already gone)" : summary;
      metrics_.inc("riposte_guardduty_filter_changes_total",
                   {{"op", op}, {"outcome", "succeeded"}});
      logInfo("GuardDuty filter " + op, {{"filter", name}, {"detector", detector}});
    } else {
      rec.status = "failed";
      rec.error_code = r.error().code;
      rec.error_message = r.error().message;
      rec.summary = "could not " + op + " GuardDuty filter " + name + ": " + r.error().str();
      metrics_.inc("riposte_guardduty_filter_changes_total", {{"op", op}, {"outcome", "failed"}});
      logError("GuardDuty filter " + op + " failed",
               {{"filter", name}, {"detector", detector}, {"error", r.error().str()}});
      errors.push_back(rec.summary);
    }
    if (auto u = store_.updateAction(rec); !u) return fail(u.error());
    return rec.status == "succeeded";
  };
  auto base = [](const std::string& detector) {
    return "/detector/" + aws::uriEncode(detector) + "/filter";
  };

  for (const auto& [key, wanted] : want) {
    const auto& [f, suppression] = wanted;
    const std::string& detector = settings->detector_id;
    aws::Call get{.service = "guardduty", .region = region, .action = "GetFilter"};
    get.method = "GET";
    get.path = base(detector) + "/" + aws::uriEncode(f.name);
    auto got = aws->restJson(get);
    if (!got && !notFound(got.error())) {
      errors.push_back("GetFilter " + f.name + ": " + got.error().str());
      continue;
    }
    const json::value after = json::object{{"name", f.name},
                                           {"action", "ARCHIVE"},
                                           {"description", f.description},
                                           {"findingCriteria", {{"criterion", f.criterion}}}};
    if (got) {
      if (!owned.count(key)) {
        errors.push_back("a GuardDuty filter named " + f.name + " exists on detector " + detector +
                         " that riposte did not create: left alone");
        continue;
      }
      names.push_back(f.name);
      if (same(*got, f)) {
        ++unchanged;
        continue;
      }
      aws::Call up{.service = "guardduty", .region = region, .action = "UpdateFilter"};
      up.method = "POST";
      up.path = get.path;
      up.body = json::object{{"action", "ARCHIVE"},
                             {"description", f.description},
                             {"findingCriteria", {{"criterion", f.criterion}}}};
      auto r = change(kUpdate, detector, region, f.name, suppression, *got, after, up,
                      "updated GuardDuty filter " + f.name + " to what suppression '" +
                          suppression + "' matches now");
      if (!r) return fail(r.error());
      updated += *r ? 1 : 0;
      continue;
    }
    aws::Call create{.service = "guardduty", .region = region, .action = "CreateFilter"};
    create.method = "POST";
    create.path = base(detector);
    create.body = json::object{{"name", f.name},
                               {"action", "ARCHIVE"},
                               {"description", f.description},
                               {"findingCriteria", {{"criterion", f.criterion}}}};
    auto r = change(kCreate, detector, region, f.name, suppression, nullptr, after, create,
                    "created GuardDuty filter " + f.name + " (ARCHIVE) on detector " + detector +
                        " for suppression '" + suppression + "'");
    if (!r) return fail(r.error());
    if (*r) {
      ++created;
      names.push_back(f.name);
      // An older record of the same name (a filter someone deleted, made again) is done.
      for (auto& old : owned[key].records) {
        old.status = "released";
        if (auto u = store_.updateAction(old); !u) return fail(u.error());
      }
      owned.erase(key);
    }
  }
  // Filters riposte made that nothing asks for any more.
  for (auto& [key, o] : owned) {
    if (want.count(key)) continue;
    aws::Call del{.service = "guardduty", .region = o.region, .action = "DeleteFilter"};
    del.method = "DELETE";
    del.path = base(o.detector) + "/" + aws::uriEncode(o.name);
    auto r = change(kDelete, o.detector, o.region, o.name, o.suppression, nullptr, nullptr, del,
                    "deleted GuardDuty filter " + o.name + ": suppression '" + o.suppression +
                        "' no longer applies or no longer asks for it");
    if (!r) return fail(r.error());
    if (!*r) continue;
    ++deleted;
    for (auto& rec : o.records) {
      rec.status = "released";
      if (auto u = store_.updateAction(rec); !u) return fail(u.error());
    }
  }
  return finish();
}

json::value FilterSync::statusJson() const {
  std::lock_guard lock(mu_);
  if (!settings_) return nullptr;
  return json::object{
      {"detectorId", settings_->detector_id},
      {"region", settings_->region.empty() ? default_region_ : settings_->region},
      {"filters", json::value_from(filters_)},
      {"lastSyncAt", last_ms_ ? json::value(formatIso8601Millis(last_ms_)) : json::value(nullptr)},
      {"lastErrors", json::value_from(last_errors_)}};
}

}  // namespace riposte::engine
