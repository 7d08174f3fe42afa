#include "sources/ingest.h"

#include "core/ids.h"
#include "core/limits.h"
#include "sources/samples.h"

namespace riposte::sources {

namespace {

std::string str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}

NormalizedEvent finish(json::object env) {
  NormalizedEvent ev;
  ev.id = str(env, "id");
  ev.source = str(env, "source");
  ev.detail_type = str(env, "detail-type");
  ev.account = str(env, "account");
  ev.region = str(env, "region");
  ev.body = json::serialize(env);
  ev.envelope = std::move(env);
  return ev;
}

}  // namespace

bool isBareGuardDutyFinding(const json::object& v) {
  return v.contains("schemaVersion") && v.contains("type") && v.contains("severity") &&
         v.contains("resource") && !v.contains("detail");
}

NormalizedEvent wrapGuardDutyFinding(const json::object& finding, const Clock& clock) {
  json::object env;
  env["version"] = "0";
  env["id"] = newUuid();
  env["detail-type"] = "GuardDuty Finding";
  env["source"] = "aws.guardduty";
  env["account"] = str(finding, "accountId");
  env["time"] = str(finding, "updatedAt").empty() ? formatIso8601(clock.now(), false)
                                                  : str(finding, "updatedAt");
  env["region"] = str(finding, "region");
  env["resources"] = json::array();
  env["detail"] = finding;
  return finish(std::move(env));
}

NormalizedEvent wrapAsffFinding(const json::object& finding, const Clock& clock) {
  std::string time = str(finding, "UpdatedAt");
  if (time.empty()) time = formatIso8601(clock.now(), false);
  return finish(wrapAsffFindings(json::array{finding}, newUuid(), time));
}

Result<NormalizedEvent> eventFromObject(const json::object& object, const Clock& clock,
                                        const std::string& where, const std::string& id) {
  std::optional<NormalizedEvent> wrapped;
  if (isBareGuardDutyFinding(object)) {
    wrapped = wrapGuardDutyFinding(object, clock);
  } else if (isAsffFinding(object) && !object.contains("detail")) {
    wrapped = wrapAsffFinding(object, clock);
  }
  if (!wrapped) {
    if (id.empty() || object.contains("id")) return normalizeEvent(object, clock, where);
    json::object with_id = object;
    with_id["id"] = id;
    return normalizeEvent(with_id, clock, where);
  }
  if (!id.empty()) {
    wrapped->envelope["id"] = id;
    wrapped->id = id;
    wrapped->body = json::serialize(wrapped->envelope);
  }
  return std::move(*wrapped);
}

Result<NormalizedEvent> normalizeEvent(const json::object& event, const Clock& clock,
                                       const std::string& where) {
  auto need_string = [&](std::string_view key) -> Result<void> {
    auto it = event.find(key);
    if (it == event.end())
      return fail("InvalidInput", where + ": missing \"" + std::string(key) + "\"");
    if (!it->value().is_string() || it->value().get_string().empty())
      return fail("InvalidInput",
                  where + ": \"" + std::string(key) + "\" must be a non-empty string");
    return {};
  };
  if (auto r = need_string("source"); !r) return fail(r.error());
  if (auto r = need_string("detail-type"); !r) return fail(r.error());
  auto d = event.find("detail");
  if (d == event.end()) return fail("InvalidInput", where + ": missing \"detail\"");
  if (!d->value().is_object())
    return fail("InvalidInput", where + ": \"detail\" must be a JSON object");
  json::object env = event;
  if (!env.contains("version")) env["version"] = "0";
  if (auto it = env.find("id");
      it == env.end() || !it->value().is_string() || it->value().get_string().empty()) {
    env["id"] = newUuid();
  }
  if (auto it = env.find("time"); it == env.end() || !it->value().is_string()) {
    env["time"] = formatIso8601(clock.now(), false);
  }
  if (!env.contains("resources")) env["resources"] = json::array();
  if (!env["resources"].is_array())
    return fail("InvalidInput", where + ": \"resources\" must be an array of strings");
  const auto& detail = d->value().get_object();
  // EventBridge always sets account and region; fall back to what the finding says.
  if (!env.contains("account") || !env["account"].is_string()) {
    env["account"] = str(detail, "accountId");
  }
  if (!env.contains("region") || !env["region"].is_string()) {
    env["region"] = str(detail, "region");
  }
  return finish(std::move(env));
}

Result<std::vector<NormalizedEvent>> parseEventsBody(std::string_view body, const Clock& clock) {
  if (body.size() > limits::kMaxRequestBytes) {
    return fail("TooLarge", "request body is " + std::to_string(body.size()) +
                                " bytes; the limit is " + std::to_string(limits::kMaxRequestBytes));
  }
  auto parsed = parseJson(body, limits::kMaxJsonDepth);
  if (!parsed) return fail(parsed.error());
  std::vector<const json::value*> items;
  bool single = false;
  if (parsed->is_array()) {
    if (parsed->get_array().empty()) return fail("InvalidInput", "empty array: no events");
    for (const auto& v : parsed->get_array()) items.push_back(&v);
  } else if (parsed->is_object()) {
    items.push_back(&*parsed);
    single = true;
  } else {
    return fail("InvalidInput",
                "body must be a JSON object (an event or a GuardDuty finding) or an array of them");
  }
  std::vector<NormalizedEvent> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string where = single ? "event" : "event[" + std::to_string(i) + "]";
    if (!items[i]->is_object()) return fail("InvalidInput", where + ": not a JSON object");
    auto r = eventFromObject(items[i]->get_object(), clock, where);
    if (!r) return fail(r.error());
    NormalizedEvent ev = std::move(*r);
    if (ev.body.size() > limits::kMaxEventBytes) {
      return fail("TooLarge", where + ": " + std::to_string(ev.body.size()) +
                                  " bytes; an event may be at most 256 KB (262144 bytes)");
    }
    out.push_back(std::move(ev));
  }
  return out;
}

Result<std::vector<PutEventsEntryResult>> parsePutEvents(std::string_view body, const Clock& clock,
                                                         const std::string& default_account,
                                                         const std::string& default_region) {
  if (body.size() > limits::kMaxRequestBytes) {
    return fail("ValidationException",
                "Total size of the entries in the request is over the limit.");
  }
  auto parsed = parseJson(body, limits::kMaxJsonDepth);
  if (!parsed || !parsed->is_object()) {
    return fail(
        "SerializationException",
        parsed ? "Start of structure or map found where not expected." : parsed.error().message);
  }
  const auto& req = parsed->get_object();
  auto e = req.find("Entries");
  if (e == req.end() || !e->value().is_array()) {
    return fail("ValidationException",
                "1 validation error detected: Value null at 'entries' failed to satisfy "
                "constraint: Member must not be null");
  }
  const auto& entries = e->value().get_array();
  if (entries.empty() || entries.size() > limits::kMaxPutEventsEntries) {
    return fail("ValidationException",
                "1 validation error detected: Value '" + std::to_string(entries.size()) +
                    "' at 'entries' failed to satisfy constraint: Member must have length "
                    "less than or equal to 10 and greater than or equal to 1");
  }
  std::vector<PutEventsEntryResult> out;
  out.reserve(entries.size());
  for (const auto& ev : entries) {
    PutEventsEntryResult r;
    if (!ev.is_object()) {
      r.error_code = "InvalidArgument";
      r.error_message = "Parameter Entry is not valid.";
      out.push_back(std::move(r));
      continue;
    }
    const auto& entry = ev.get_object();
    std::string source = str(entry, "Source");
    std::string detail_type = str(entry, "DetailType");
    std::string detail_text = str(entry, "Detail");
    std::size_t entry_size = source.size() + detail_type.size() + detail_text.size();
    if (source.empty()) {
      r.error_code = "InvalidArgument";
      r.error_message = "Parameter Source is not valid. Reason: Source is a required argument.";
    } else if (detail_type.empty()) {
      r.error_code = "InvalidArgument";
      r.error_message =
          "Parameter DetailType is not valid. Reason: DetailType is a required argument.";
    } else if (detail_text.empty()) {
      r.error_code = "InvalidArgument";
      r.error_message = "Parameter Detail is not valid. Reason: Detail is a required argument.";
    } else if (entry_size > limits::kMaxEventBytes) {
      r.error_code = "InvalidArgument";
      r.error_message = "Parameter Entry is not valid. Reason: entry size " +
                        std::to_string(entry_size) + " bytes exceeds the 256 KB limit.";
    } else {
      auto detail = parseJson(detail_text, limits::kMaxJsonDepth);
      if (!detail || !detail->is_object()) {
        r.error_code = "MalformedDetail";
        r.error_message = "Detail is malformed.";
      } else {
        json::object env;
        env["version"] = "0";
        env["id"] = newUuid();
        env["detail-type"] = detail_type;
        env["source"] = source;
        const auto& d = detail->get_object();
        env["account"] = !default_account.empty() ? default_account : str(d, "accountId");
        std::string time = str(entry, "Time");
        int64_t ms = 0;
        env["time"] = !time.empty() && parseIso8601(time, ms) ? formatIso8601Millis(ms, false)
                                                              : formatIso8601(clock.now(), false);
        env["region"] = !str(d, "region").empty() ? str(d, "region") : default_region;
        json::array resources;
        if (auto rs = entry.find("Resources"); rs != entry.end() && rs->value().is_array()) {
          for (const auto& x : rs->value().get_array())
            if (x.is_string()) resources.push_back(x);
        }
        env["resources"] = std::move(resources);
        env["detail"] = std::move(*detail);
        r.event = finish(std::move(env));
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace riposte::sources
