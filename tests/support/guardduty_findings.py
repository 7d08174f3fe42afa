"""GuardDuty findings for the Python integration tests (the C++ tests use findings.h)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

REGION = "us-east-1"
ACCOUNT = "123456789012"


def access_key_finding(user: str, key_id: str, severity: float = 8.0, remote_ip: str = "203.0.113.9",
                       user_type: str = "IAMUser",
                       finding_type: str = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS") -> dict:
    """A GuardDuty finding about IAM user credentials, as GuardDuty documents its AccessKey resource."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    fid = uuid.uuid4().hex
    region, account = REGION, ACCOUNT
    return {
        "schemaVersion": "2.0", "accountId": account, "region": region, "partition": "aws",
        "id": fid, "arn": f"arn:aws:guardduty:{region}:{account}:detector/d0e1f2/finding/{fid}",
        "type": finding_type,
        "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
            "accessKeyId": key_id, "principalId": "AIDA" + uuid.uuid4().hex[:16].upper(),
            "userName": user, "userType": user_type}},
        "service": {"serviceName": "guardduty", "detectorId": "d0e1f2", "archived": False, "count": 1,
                    "eventFirstSeen": now, "eventLastSeen": now, "resourceRole": "TARGET",
                    "action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {
                        "api": "ListBuckets", "serviceName": "s3.amazonaws.com", "callerType": "Remote IP",
                        "remoteIpDetails": {"ipAddressV4": remote_ip,
                                            "organization": {"asn": "64496", "asnOrg": "EXAMPLE-NET",
                                                             "isp": "Example ISP", "org": "Example"},
                                            "country": {"countryName": "Exampleland"}}}}},
        "severity": severity, "createdAt": now, "updatedAt": now,
        "title": f"Credentials for {user} were used from {remote_ip}.",
        "description": f"The access key {key_id} of the IAM user {user} was used from {remote_ip}, outside AWS.",
    }
