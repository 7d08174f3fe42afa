#include "engine/incident.h"

namespace riposte::engine {

namespace {

std::string s(const json::value* v) {
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_number()) return json::serialize(*v);
  return {};
}

}  // namespace

std::string remoteIpOf(const json::object& detail) {
  json::value d = detail;
  for (const char* p : {"service.action.networkConnectionAction.remoteIpDetails.ipAddressV4",
                        "service.action.awsApiCallAction.remoteIpDetails.ipAddressV4",
                        "service.action.kubernetesApiCallAction.remoteIpDetails.ipAddressV4",
                        "service.action.rdsLoginAttemptAction.remoteIpDetails.ipAddressV4"}) {
    if (auto v = stringAt(d, p)) return *v;
  }
  if (const auto* probes = findPath(d, "service.action.portProbeAction.portProbeDetails");
      probes && probes->is_array() && !probes->get_array().empty()) {
    if (auto v = stringAt(probes->get_array()[0], "remoteIpDetails.ipAddressV4")) return *v;
  }
  return {};
}

store::IncidentRecord describeIncident(const json::object& event) {
  store::IncidentRecord r;
  json::value ev = event;
  r.account = stringAt(ev, "account").value_or("");
  r.region = stringAt(ev, "region").value_or("");
  std::string source = stringAt(ev, "source").value_or("");
  const json::value* detail = findPath(ev, "detail");
  if (source == "aws.guardduty" && detail && detail->is_object()) {
    if (auto a = stringAt(*detail, "accountId")) r.account = *a;
    if (auto g = stringAt(*detail, "region")) r.region = *g;
    r.finding_id = s(findPath(*detail, "id"));
    r.finding_type = s(findPath(*detail, "type"));
    r.severity = numberAt(*detail, "severity").value_or(0);
    r.title = s(findPath(*detail, "title"));
    r.resource_type = s(findPath(*detail, "resource.resourceType"));
    for (const char* p :
         {"resource.instanceDetails.instanceId", "resource.accessKeyDetails.accessKeyId",
          "resource.eksClusterDetails.name", "resource.ecsClusterDetails.name",
          "resource.lambdaDetails.functionName",
          "resource.rdsDbInstanceDetails.dbInstanceIdentifier", "resource.containerDetails.id"}) {
      if (auto v = stringAt(*detail, p)) {
        r.resource_id = *v;
        break;
      }
    }
    if (r.resource_id.empty()) {
      if (const auto* b = findPath(*detail, "resource.s3BucketDetails");
          b && b->is_array() && !b->get_array().empty()) {
        r.resource_id = s(findPath(b->get_array()[0], "name"));
      }
    }
  } else if (detail && detail->is_object() && findPath(*detail, "findings") &&
             findPath(*detail, "findings")->is_array() &&
             !findPath(*detail, "findings")->get_array().empty()) {
    // Security Hub ASFF ("Security Hub Findings - Imported").
    const auto& f = findPath(*detail, "findings")->get_array()[0];
    if (auto a = stringAt(f, "AwsAccountId")) r.account = *a;
    if (auto g = stringAt(f, "Region")) r.region = *g;
    r.finding_id = s(findPath(f, "Id"));
    if (const auto* t = findPath(f, "Types"); t && t->is_array() && !t->get_array().empty())
      r.finding_type = s(&t->get_array()[0]);
    r.severity = numberAt(f, "Severity.Normalized").value_or(0) / 10.0;
    r.title = s(findPath(f, "Title"));
    if (const auto* res = findPath(f, "Resources");
        res && res->is_array() && !res->get_array().empty()) {
      r.resource_type = s(findPath(res->get_array()[0], "Type"));
      r.resource_id = s(findPath(res->get_array()[0], "Id"));
    }
  }
  if (r.resource_id.empty()) {
    if (const auto* res = findPath(ev, "resources");
        res && res->is_array() && !res->get_array().empty()) {
      r.resource_id = s(&res->get_array()[0]);
    } else {
      r.resource_id = source;
    }
  }
  if (r.finding_id.empty()) r.finding_id = stringAt(ev, "id").value_or("");
  if (r.finding_type.empty()) r.finding_type = stringAt(ev, "detail-type").value_or("");
  if (r.title.empty()) r.title = r.finding_type;
  r.dedup_key = r.account + "/" + r.region + "/" + r.resource_id + "/" +
                (r.finding_id.empty() ? r.finding_type : r.finding_id);
  return r;
}

}  // namespace riposte::engine
