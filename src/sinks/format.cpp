#include "sinks/format.h"

#include <algorithm>
#include <cmath>

#include "core/clock.h"

namespace riposte::sinks {
namespace {

json::object parseObject(const std::string& text) {
  auto v = parseJson(text, 64);
  if (v && v->is_object()) return v->as_object();
  return {};
}

std::string str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (it->value().is_string()) return std::string(it->value().as_string());
  if (it->value().is_null()) return {};
  return toJson(it->value());
}

// Printable US-ASCII without spaces (RFC 5424 header fields), at most `max` characters.
std::string headerField(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() == max) break;
    if (c > 32 && c < 127) out += c;
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string cefEscapeHeader(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\' || c == '|') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string cefEscapeValue(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '=':
        out += "\\=";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

int cefSeverity(const store::AuditRecord& rec) {
  auto o = parseObject(rec.json);
  if (rec.kind.starts_with("incident.")) {
    auto it = o.find("incident");
    if (it != o.end() && it->value().is_object()) {
      const auto& inc = it->value().as_object();
      auto s = inc.find("severity");
      if (s != inc.end() && s->value().is_number()) {
        double d = s->value().to_number<double>();
        return static_cast<int>(std::clamp(std::lround(d), 0L, 10L));
      }
    }
    return 5;
  }
  if (rec.kind == "action.finished") return str(o, "status") == "failed" ? 7 : 3;
  if (rec.kind == "execution.step") {
    std::string type = str(o, "type");
    return type == "ExecutionFailed" || type == "ExecutionTimedOut" ? 6 : 1;
  }
  return 1;
}

std::string toCef(const store::AuditRecord& rec) {
  auto o = parseObject(rec.json);
  json::object inc;
  if (auto it = o.find("incident"); it != o.end() && it->value().is_object()) {
    inc = it->value().as_object();
  }
  std::string name;
  std::vector<std::pair<std::string, std::string>> ext;
  ext.emplace_back("rt", std::to_string(rec.time_ms));
  ext.emplace_back("externalId", std::to_string(rec.seq));
  ext.emplace_back("cat", rec.kind);
  auto label = [&](int n, const std::string& lbl, const std::string& value) {
    if (value.empty()) return;
    ext.emplace_back("cs" + std::to_string(n) + "Label", lbl);
    ext.emplace_back("cs" + std::to_string(n), value);
  };
  if (rec.kind.starts_with("incident.")) {
    std::string title = str(inc, "title");
    name = rec.kind == "incident.opened"  ? "Incident opened: " + title
           : rec.kind == "incident.event" ? "Incident repeated: " + title
                                          : "Incident " + str(inc, "status") + ": " + title;
    label(1, "incidentId", str(inc, "id"));
    label(3, "rule", str(inc, "rule"));
    label(4, "resourceId", str(inc, "resource_id"));
    label(5, "findingType", str(inc, "finding_type"));
    ext.emplace_back("outcome", str(inc, "status"));
    if (!str(inc, "account").empty()) ext.emplace_back("cs6Label", "account");
    if (!str(inc, "account").empty()) ext.emplace_back("cs6", str(inc, "account"));
    ext.emplace_back("msg", title);
  } else if (rec.kind == "action.finished") {
    name = "Action " + str(o, "action") + " " + str(o, "status");
    label(1, "incidentId", str(o, "incident_id"));
    label(2, "executionId", str(o, "execution_id"));
    label(3, "state", str(o, "state_name"));
    ext.emplace_back("act", str(o, "action"));
    ext.emplace_back("outcome", str(o, "status"));
    std::string msg = str(o, "summary");
    if (!str(o, "error_code").empty()) {
      msg += (msg.empty() ? "" : "; ") + str(o, "error_code") + ": " + str(o, "error_message");
    }
    if (!msg.empty()) ext.emplace_back("msg", msg);
  } else if (rec.kind == "execution.started") {
    name = "Playbook " + str(o, "playbook") + " started";
    label(1, "incidentId", str(o, "incident_id"));
    label(2, "executionId", str(o, "execution_id"));
    ext.emplace_back("outcome", str(o, "status"));
  } else {
    name = "Execution step " + str(o, "type");
    label(1, "incidentId", str(o, "incident_id"));
    label(2, "executionId", str(o, "execution_id"));
    if (auto d = o.find("details"); d != o.end() && d->value().is_object()) {
      std::string state = str(d->value().as_object(), "name");
      label(3, "state", state);
    }
  }
  std::string out = "CEF:0|riposte|riposte|" + cefEscapeHeader(RIPOSTE_VERSION) + "|" +
                    cefEscapeHeader(rec.kind) + "|" + cefEscapeHeader(name) + "|" +
                    std::to_string(cefSeverity(rec)) + "|";
  bool first = true;
  for (const auto& [k, v] : ext) {
    if (!first) out += ' ';
    first = false;
    out += k;
    out += '=';
    out += cefEscapeValue(v);
  }
  return out;
}

int syslogSeverity(int cef) {
  if (cef >= 9) return 2;  // critical
  if (cef >= 7) return 3;  // error
  if (cef >= 4) return 4;  // warning
  if (cef >= 2) return 5;  // notice
  return 6;                // informational
}

std::string toRfc5424(const store::AuditRecord& rec, const SyslogHeader& h) {
  int pri = std::clamp(h.facility, 0, 23) * 8 + syslogSeverity(cefSeverity(rec));
  std::string out = "<" + std::to_string(pri) + ">1 ";
  out += formatIso8601Millis(rec.time_ms) + " ";
  out += headerField(h.hostname, 255) + " ";
  out += headerField(h.app_name, 48) + " ";
  out += headerField(h.procid, 128) + " ";
  out += headerField(rec.kind, 32) + " ";
  out += "[riposte@32473 seq=\"" + std::to_string(rec.seq) + "\"] ";
  out += toCef(rec);
  return out;
}

std::string octetFrame(std::string_view message) {
  return std::to_string(message.size()) + " " + std::string(message);
}

std::string sourcetypeFor(std::string_view kind) {
  if (kind.starts_with("incident.")) return "riposte:incident";
  if (kind.starts_with("execution.")) return "riposte:execution";
  if (kind.starts_with("action.")) return "riposte:action";
  return "riposte:audit";
}

json::object toHecEvent(const store::AuditRecord& rec, const HecFields& f) {
  json::object ev;
  ev["time"] = static_cast<double>(rec.time_ms) / 1000.0;
  if (!f.host.empty()) ev["host"] = f.host;
  ev["source"] = f.source;
  ev["sourcetype"] = sourcetypeFor(rec.kind);
  if (!f.index.empty()) ev["index"] = f.index;
  json::object body;
  body["seq"] = rec.seq;
  body["kind"] = rec.kind;
  for (auto& kv : parseObject(rec.json)) body[kv.key()] = kv.value();
  ev["event"] = std::move(body);
  return ev;
}

std::string toJsonLine(const store::AuditRecord& rec) {
  json::object o;
  o["seq"] = rec.seq;
  o["time_ms"] = rec.time_ms;
  o["time"] = formatIso8601Millis(rec.time_ms);
  o["kind"] = rec.kind;
  o["sourcetype"] = sourcetypeFor(rec.kind);
  auto v = parseJson(rec.json, 64);
  o["data"] = v ? std::move(*v) : json::value(json::string(rec.json));
  return toJson(o);
}

}  // namespace riposte::sinks
