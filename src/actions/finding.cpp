#include "actions/finding.h"

#include <cmath>
#include <cstdio>

namespace riposte::actions {
namespace {

std::string s(const json::value& v, std::string_view dotted) {
  return stringAt(v, dotted).value_or("");
}

// remoteIpDetails → ip, "Country, Org"
bool readRemote(const json::value* details, FindingSummary& f) {
  if (!details || !details->is_object()) return false;
  std::string ip = s(*details, "ipAddressV4");
  if (ip.empty()) ip = s(*details, "ipAddressV6");
  if (ip.empty()) return false;
  f.remote_ip = ip;
  std::string country = s(*details, "country.countryName");
  std::string org = s(*details, "organization.org");
  if (org.empty()) org = s(*details, "organization.asnOrg");
  f.remote_where = country;
  if (!org.empty()) f.remote_where += (f.remote_where.empty() ? "" : ", ") + org;
  return true;
}

std::string compact(const json::value& v, std::size_t max = 200) {
  std::string t = v.is_string() ? std::string(v.as_string()) : toJson(v);
  if (t.size() > max) t = t.substr(0, max) + "...";
  return t;
}

std::string lineFor(const json::value& v) {
  if (v.is_object()) {
    const auto& o = v.as_object();
    if (auto* sm = o.if_contains("summary"); sm && sm->is_string())
      return std::string(sm->as_string());
    if (auto* e = o.if_contains("Error"); e && e->is_string()) {
      std::string line = "FAILED " + std::string(e->as_string());
      if (auto* c = o.if_contains("Cause"); c && c->is_string()) line += ": " + compact(*c);
      return line;
    }
  }
  return compact(v);
}

}  // namespace

std::string severityLabel(double severity) {
  if (severity < 4) return "LOW";
  if (severity < 7) return "MEDIUM";
  if (severity < 9) return "HIGH";
  return "CRITICAL";
}

FindingSummary summarizeFinding(const json::value& in) {
  const json::value* d = &in;
  if (in.is_object() && in.as_object().contains("detail") &&
      (in.as_object().contains("detail-type") || in.as_object().contains("source"))) {
    d = &in.at("detail");
  }
  const json::value& f = *d;
  FindingSummary out;
  out.id = s(f, "id");
  out.arn = s(f, "arn");
  out.type = s(f, "type");
  out.title = s(f, "title");
  out.description = s(f, "description");
  out.account = s(f, "accountId");
  out.region = s(f, "region");
  if (auto p = stringAt(f, "partition")) out.partition = *p;
  out.created_at = s(f, "createdAt");
  out.updated_at = s(f, "updatedAt");
  out.severity = numberAt(f, "severity").value_or(0);
  out.severity_label = severityLabel(out.severity);
  out.resource_type = s(f, "resource.resourceType");
  if (out.resource_type == "Instance") {
    out.resource_id = s(f, "resource.instanceDetails.instanceId");
    out.resource_label = "EC2 instance " + out.resource_id;
    if (const json::value* tags = findPath(f, "resource.instanceDetails.tags");
        tags && tags->is_array()) {
      for (const auto& t : tags->as_array()) {
        if (s(t, "key") == "Name" || s(t, "Key") == "Name") {
          std::string n = s(t, "value").empty() ? s(t, "Value") : s(t, "value");
          out.resource_label += " (Name: " + n + ")";
        }
      }
    }
  } else if (out.resource_type == "AccessKey") {
    out.resource_id = s(f, "resource.accessKeyDetails.accessKeyId");
    out.user_name = s(f, "resource.accessKeyDetails.userName");
    out.resource_label = "IAM access key " + out.resource_id;
    if (!out.user_name.empty()) out.resource_label += " of " + out.user_name;
  } else if (out.resource_type == "S3Bucket") {
    if (const json::value* b = findPath(f, "resource.s3BucketDetails");
        b && b->is_array() && !b->as_array().empty()) {
      out.resource_id = s(b->as_array()[0], "name");
    }
    out.resource_label = "S3 bucket " + out.resource_id;
  } else {
    out.resource_label = out.resource_type.empty() ? "unknown resource" : out.resource_type;
  }
  if (!out.account.empty()) out.resource_label += " in account " + out.account;
  if (!out.region.empty()) out.resource_label += ", " + out.region;

  const json::value* action = findPath(f, "service.action");
  if (action) {
    readRemote(findPath(*action, "networkConnectionAction.remoteIpDetails"), out) ||
        readRemote(findPath(*action, "awsApiCallAction.remoteIpDetails"), out) ||
        readRemote(findPath(*action, "kubernetesApiCallAction.remoteIpDetails"), out) || [&] {
          const json::value* probes = findPath(*action, "portProbeAction.portProbeDetails");
          if (!probes || !probes->is_array()) return false;
          for (const auto& p : probes->as_array()) {
            if (readRemote(findPath(p, "remoteIpDetails"), out)) return true;
          }
          return false;
        }();
    out.domain = s(*action, "dnsRequestAction.domain");
  }
  return out;
}

std::vector<std::string> actionLines(const json::value& actions) {
  std::vector<std::string> lines;
  if (actions.is_null()) return lines;
  if (actions.is_array()) {
    for (const auto& a : actions.as_array()) lines.push_back(lineFor(a));
  } else if (actions.is_object() && !actions.as_object().contains("summary") &&
             !actions.as_object().contains("Error")) {
    for (const auto& kv : actions.as_object()) {
      lines.push_back(std::string(kv.key()) + ": " + lineFor(kv.value()));
    }
  } else {
    lines.push_back(lineFor(actions));
  }
  return lines;
}

std::string singleLine(std::string_view in, std::size_t max) {
  std::string out;
  bool space = false;
  for (unsigned char c : in) {
    if (c < 0x20 || c == 0x7F || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += (c >= 0x80) ? '?' : static_cast<char>(c);
  }
  if (out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

}  // namespace riposte::actions
