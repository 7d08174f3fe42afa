#pragma once
// Realistic sample GuardDuty findings, for simulation, back-tests, demos and tests.
//
//   auto f = sources::sampleFinding("UnauthorizedAccess:EC2/SSHBruteForce",
//                                   {.instance_id = "i-0abc…", .seed = 7});
//   json::object event = sources::sampleEvent(*f);   // the EventBridge "GuardDuty Finding"
//   json::object asff = sources::toAsff(*f);         // the Security Hub (ASFF) form
//
// The findings follow GuardDuty's finding format (schemaVersion 2.0): the resource section
// matches the type's family (Instance, AccessKey, S3Bucket, EKSCluster, ECSCluster, Container,
// S3Object), service.action has the shape the type uses (NETWORK_CONNECTION, PORT_PROBE,
// DNS_REQUEST, AWS_API_CALL, KUBERNETES_API_CALL; none for Runtime and Malware findings, which
// carry runtimeDetails / ebsVolumeScanDetails). Ids, ARNs and timestamps agree with each other;
// every address is in a documentation range (192.0.2.0/24 for the resource's own addresses,
// 198.51.100.0/24 and 203.0.113.0/24 for remote ones, 2001:db8::/32 for IPv6). Each finding
// carries service.additionalInfo.sample = true, as GuardDuty's own sample findings do.
// Pure functions: no I/O; deterministic for a given seed and time. Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace riposte::sources {

// What kind of resource a finding type is about, and how GuardDuty saw it.
struct SampleType {
  std::string type;           // "UnauthorizedAccess:EC2/SSHBruteForce"
  std::string family;         // EC2 | IAM | S3 | EKS | Runtime | Malware
  std::string resource_type;  // resource.resourceType: Instance, AccessKey, S3Bucket, …
  std::string action_type;    // service.action.actionType, "" when the type has no action
  double severity = 0;        // GuardDuty's default severity for the type (2 low, 5 medium, 8 high)
};

// Every known type, in GuardDuty's documentation order (EC2, IAM, S3, EKS, Runtime, Malware).
const std::vector<SampleType>& sampleTypes();
// The type's entry, or nullptr if unknown.
const SampleType* findSampleType(std::string_view type);

// The sample event (EventBridge form) of a type, for coverage (`riposte coverage`, the
// runbook): one world (seed 1) at a fixed time (2026-01-01T00:00:00Z), so the same catalogue
// gives the same events. Error "UnknownFindingType" as sampleFinding.
Result<json::object> catalogueEvent(std::string_view type);

struct SampleOptions {
  std::string instance_id;         // "" → derived from the seed (EC2 and Runtime EC2 findings)
  std::optional<double> severity;  // default: the type's
  std::string region = "us-east-1";
  std::string account = "123456789012";
  uint64_t seed = 1;   // same seed, type, options and time → the same finding
  int64_t now_ms = 0;  // the finding's updatedAt (epoch ms); 0 → the system clock
};

// One finding (the bare form GetFindings returns, = the EventBridge event's detail). Error
// "UnknownFindingType" naming the known types when `type` is not one of sampleTypes(); error
// "InvalidInput" for a bad severity (outside 0..10), region or account.
Result<json::object> sampleFinding(std::string_view type, const SampleOptions& options);

// The EventBridge event that carries a finding ({"version":"0","id":…,"detail-type":"GuardDuty
// Finding","source":"aws.guardduty",…,"detail":finding}). The event id derives from the
// finding's id and updatedAt, so a re-published finding gets a new one.
json::object sampleEvent(const json::object& finding);

// The AWS Security Finding Format form Security Hub imports from GuardDuty (every required
// ASFF field: SchemaVersion, Id, ProductArn, GeneratorId, AwsAccountId, Types, CreatedAt,
// UpdatedAt, Severity, Title, Description, Resources; plus Region, ProductName, CompanyName,
// FirstObservedAt, LastObservedAt, Network for network findings, Workflow, RecordState).
json::object toAsff(const json::object& finding);

// True when `v` looks like one ASFF finding (SchemaVersion, ProductArn, AwsAccountId, Types).
bool isAsffFinding(const json::object& v);
// Wraps ASFF findings as the "Security Hub Findings - Imported" event EventBridge delivers.
json::object wrapAsffFindings(const json::array& findings, const std::string& event_id,
                              const std::string& time_iso);

}  // namespace riposte::sources
