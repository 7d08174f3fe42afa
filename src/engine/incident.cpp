#include "engine/incident.h"

#include <map>

namespace riposte::engine {

namespace {

std::string s(const json::value* v) {
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_number()) return json::serialize(*v);
  return {};
}

// The first element of the array at `path`, or null.
const json::value* first(const json::value& v, std::string_view path) {
  const auto* a = findPath(v, path);
  if (!a || !a->is_array() || a->get_array().empty()) return nullptr;
  return &a->get_array()[0];
}

}  // namespace

std::string guardDutyResourceId(const json::value& resource) {
  const std::string type = s(findPath(resource, "resourceType"));
  // Types whose id is one member of one detail object.
  static const std::map<std::string, const char*, std::less<>> kPath = {
      {"Instance", "instanceDetails.instanceId"},
      {"AccessKey", "accessKeyDetails.accessKeyId"},
      {"EKSCluster", "eksClusterDetails.name"},
      {"ECSCluster", "ecsClusterDetails.name"},
      {"Container", "containerDetails.id"},
      {"Lambda", "lambdaDetails.functionName"},
      {"RDSDBInstance", "rdsDbInstanceDetails.dbInstanceIdentifier"},
      {"RDSLimitlessDB", "rdsLimitlessDbDetails.dbShardGroupIdentifier"}};
  if (auto it = kPath.find(type); it != kPath.end()) return s(findPath(resource, it->second));
  if (type == "S3Bucket" || type == "S3Object") {
    const json::value* bucket = first(resource, "s3BucketDetails");
    if (!bucket) return {};
    std::string name = s(findPath(*bucket, "name"));
    if (type == "S3Bucket" || name.empty()) return name;
    const json::value* object = first(*bucket, "s3ObjectDetails");
    std::string key = object ? s(findPath(*object, "key")) : std::string();
    return key.empty() ? name : name + "/" + key;
  }
  if (type == "EBSVolume") {
    const json::value* volume = first(resource, "ebsVolumeDetails.scannedVolumeDetails");
    std::string arn = volume ? s(findPath(*volume, "volumeArn")) : std::string();
    auto slash = arn.rfind('/');
    return slash == std::string::npos ? arn : arn.substr(slash + 1);
  }
  return {};
}

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
    if (const auto* res = findPath(*detail, "resource")) r.resource_id = guardDutyResourceId(*res);
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
