#pragma once
// Correlation: what an event is about (resource, finding), so repeats attach to one incident.

#include <string>

#include "core/json.h"
#include "store/store.h"

namespace riposte::engine {

// Extracts the incident facts from an EventBridge event: GuardDuty findings (detail.resource,
// detail.id/type/severity/title), Security Hub findings (detail.findings[0] in ASFF), or any
// other event (resources[0] / source, event id). `dedup_key` is
// "<account>/<region>/<resource id>/<finding id or type>".
store::IncidentRecord describeIncident(const json::object& event);

// The resource a GuardDuty finding is about, chosen by its `resource.resourceType` (a
// finding may describe several: an S3 finding also names the access key that made the call,
// a credential-exfiltration finding the instance whose role was used):
//   Instance        instanceDetails.instanceId               "i-0abc…"
//   AccessKey       accessKeyDetails.accessKeyId             "AKIA…" / "ASIA…"
//   S3Bucket        s3BucketDetails[0].name                  the bucket
//   S3Object        s3BucketDetails[0] name "/" s3ObjectDetails[0].key
//   EKSCluster      eksClusterDetails.name
//   ECSCluster      ecsClusterDetails.name
//   Container       containerDetails.id
//   Lambda          lambdaDetails.functionName
//   RDSDBInstance   rdsDbInstanceDetails.dbInstanceIdentifier
//   RDSLimitlessDB  rdsLimitlessDbDetails.dbShardGroupIdentifier
//   EBSVolume       ebsVolumeDetails.scannedVolumeDetails[0].volumeArn's "vol-…"
// "" for another type, or when the type's detail is missing (the caller falls back).
std::string guardDutyResourceId(const json::value& resource);

// The attacker's address named by a GuardDuty finding, if any (network connection, AWS API
// call, port probe, RDP/SSH brute force …). "" when there is none.
std::string remoteIpOf(const json::object& detail);

}  // namespace riposte::engine
