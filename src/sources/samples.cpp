#include "sources/samples.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>

#include "core/clock.h"

namespace riposte::sources {

namespace {

// ------------------------------------------------------------------ the catalogue

enum class Res { kInstance, kAccessKey, kS3Bucket, kEks, kEcs, kContainer, kS3Object };
enum class Act { kNone, kNetIn, kNetOut, kProbe, kDns, kApi, kK8s };

// One finding type: what it is about and how GuardDuty saw it. `arg`/`arg2` depend on the
// action: DNS → domain; API → api name / service; Kubernetes → request URI / verb.
// `port`: the local port (inbound, probes) or the remote port (outbound). Title placeholders:
// {res} resource id, {ip} remote address, {dom} domain, {api} API, {port}, {user}, {bucket},
// {cluster}.
struct Spec {
  const char* type;
  const char* family;
  Res res;
  Act act;
  double severity;
  const char* arg;
  const char* arg2;
  int port;
  const char* title;
};

// clang-format off
constexpr Spec kSpecs[] = {
  // --- EC2 (VPC flow logs, DNS logs) ---
  {"Backdoor:EC2/C&CActivity.B", "EC2", Res::kInstance, Act::kNetOut, 8, "", "", 443, "EC2 instance {res} is communicating with a known command and control server {ip}."},
  {"Backdoor:EC2/C&CActivity.B!DNS", "EC2", Res::kInstance, Act::kDns, 8, "c2-beacon.example.com", "", 0, "EC2 instance {res} is querying a domain name associated with a known command and control server."},
  {"Backdoor:EC2/DenialOfService.Dns", "EC2", Res::kInstance, Act::kNetOut, 8, "", "", 53, "EC2 instance {res} is behaving in a manner that may indicate it is being used to perform a Denial of Service (DoS) attack using the DNS protocol."},
  {"Backdoor:EC2/DenialOfService.Tcp", "EC2", Res::kInstance, Act::kNetOut, 8, "", "", 80, "EC2 instance {res} is behaving in a manner that may indicate it is being used to perform a Denial of Service (DoS) attack using the TCP protocol."},
  {"Backdoor:EC2/DenialOfService.Udp", "EC2", Res::kInstance, Act::kNetOut, 8, "", "", 123, "EC2 instance {res} is behaving in a manner that may indicate it is being used to perform a Denial of Service (DoS) attack using the UDP protocol."},
  {"Backdoor:EC2/Spambot", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 25, "EC2 instance {res} is behaving in a manner that may indicate it is being used to send spam."},
  {"Behavior:EC2/NetworkPortUnusual", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 8443, "EC2 instance {res} is communicating with remote host {ip} on an unusual server port {port}."},
  {"Behavior:EC2/TrafficVolumeUnusual", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 443, "EC2 instance {res} is generating unusually large amounts of network traffic to remote host {ip}."},
  {"CryptoCurrency:EC2/BitcoinTool.B", "EC2", Res::kInstance, Act::kNetOut, 8, "", "", 8333, "EC2 instance {res} is communicating with Bitcoin-related IP address {ip}."},
  {"CryptoCurrency:EC2/BitcoinTool.B!DNS", "EC2", Res::kInstance, Act::kDns, 8, "pool.coinmine.example.net", "", 0, "EC2 instance {res} is querying a domain name {dom} that is associated with Bitcoin-related activity."},
  {"DefenseEvasion:EC2/UnusualDNSResolver", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 53, "EC2 instance {res} is communicating with an unusual public DNS resolver {ip}."},
  {"DefenseEvasion:EC2/UnusualDoHActivity", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 443, "EC2 instance {res} is performing unusual DNS over HTTPS (DoH) communication with {ip}."},
  {"DefenseEvasion:EC2/UnusualDoTActivity", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 853, "EC2 instance {res} is performing unusual DNS over TLS (DoT) communication with {ip}."},
  {"Impact:EC2/AbusedDomainRequest.Reputation", "EC2", Res::kInstance, Act::kDns, 5, "free-hosting.example.org", "", 0, "EC2 instance {res} is querying a low reputation domain name {dom} associated with known abused domains."},
  {"Impact:EC2/BitcoinDomainRequest.Reputation", "EC2", Res::kInstance, Act::kDns, 8, "coin-pool.example.net", "", 0, "EC2 instance {res} is querying a low reputation domain name {dom} associated with cryptocurrency-related activity."},
  {"Impact:EC2/MaliciousDomainRequest.Reputation", "EC2", Res::kInstance, Act::kDns, 8, "malware-drop.example.com", "", 0, "EC2 instance {res} is querying a low reputation domain name {dom} associated with known malicious domains."},
  {"Impact:EC2/PortSweep", "EC2", Res::kInstance, Act::kNetOut, 8, "", "", 22, "EC2 instance {res} is probing port {port} on a large number of IP addresses."},
  {"Impact:EC2/SuspiciousDomainRequest.Reputation", "EC2", Res::kInstance, Act::kDns, 5, "cdn-update.example.org", "", 0, "EC2 instance {res} is querying a low reputation domain name {dom} that is suspicious in nature."},
  {"Impact:EC2/WinRMBruteForce", "EC2", Res::kInstance, Act::kNetIn, 2, "", "", 5985, "{ip} is performing WinRM brute force attacks against {res}."},
  {"Recon:EC2/PortProbeEMRUnprotectedPort", "EC2", Res::kInstance, Act::kProbe, 8, "", "", 8088, "Unprotected EMR-related port {port} on EC2 instance {res} is being probed by {ip}."},
  {"Recon:EC2/PortProbeUnprotectedPort", "EC2", Res::kInstance, Act::kProbe, 2, "", "", 22, "Unprotected port {port} on EC2 instance {res} is being probed by {ip}."},
  {"Recon:EC2/Portscan", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 22, "EC2 instance {res} is performing outbound port scans against remote host {ip}."},
  {"Trojan:EC2/BlackholeTraffic", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 80, "EC2 instance {res} is attempting to communicate with a black hole IP address {ip}."},
  {"Trojan:EC2/BlackholeTraffic!DNS", "EC2", Res::kInstance, Act::kDns, 5, "sinkhole.example.net", "", 0, "EC2 instance {res} is querying a domain name {dom} that is being redirected to a black hole IP address."},
  {"Trojan:EC2/DGADomainRequest.B", "EC2", Res::kInstance, Act::kDns, 8, "qx7kzt1vbw3.example.net", "", 0, "EC2 instance {res} is querying algorithmically generated domain {dom}."},
  {"Trojan:EC2/DNSDataExfiltration", "EC2", Res::kInstance, Act::kDns, 8, "a1b2c3d4e5f6.exfil.example.com", "", 0, "EC2 instance {res} is attempting to exfiltrate data through DNS queries to {dom}."},
  {"Trojan:EC2/DriveBySourceTraffic!DNS", "EC2", Res::kInstance, Act::kDns, 5, "driveby.example.org", "", 0, "EC2 instance {res} is querying a domain name {dom} of a remote host that is a known source of Drive-By download attacks."},
  {"Trojan:EC2/DropPoint", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 443, "EC2 instance {res} is attempting to communicate with remote host {ip}, a known drop point for malware-captured credentials."},
  {"Trojan:EC2/DropPoint!DNS", "EC2", Res::kInstance, Act::kDns, 5, "drop.example.com", "", 0, "EC2 instance {res} is querying a domain name {dom} of a remote host that is known to hold malware-captured credentials."},
  {"Trojan:EC2/PhishingDomainRequest!DNS", "EC2", Res::kInstance, Act::kDns, 8, "login-verify.example.com", "", 0, "EC2 instance {res} is querying domain {dom}, which is involved in phishing attacks."},
  {"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", "EC2", Res::kInstance, Act::kNetOut, 5, "", "", 443, "EC2 instance {res} is communicating with {ip}, an address on a custom threat list."},
  {"UnauthorizedAccess:EC2/MetadataDNSRebind", "EC2", Res::kInstance, Act::kDns, 8, "metadata.rebind.example.com", "", 0, "EC2 instance {res} is performing DNS lookups of {dom}, which resolves to the instance metadata service."},
  {"UnauthorizedAccess:EC2/RDPBruteForce", "EC2", Res::kInstance, Act::kNetIn, 2, "", "", 3389, "{ip} is performing RDP brute force attacks against {res}."},
  {"UnauthorizedAccess:EC2/SSHBruteForce", "EC2", Res::kInstance, Act::kNetIn, 2, "", "", 22, "{ip} is performing SSH brute force attacks against {res}."},
  {"UnauthorizedAccess:EC2/TorClient", "EC2", Res::kInstance, Act::kNetOut, 8, "", "", 9001, "EC2 instance {res} is making connections to Tor Guard or Authority node {ip}."},
  {"UnauthorizedAccess:EC2/TorRelay", "EC2", Res::kInstance, Act::kNetIn, 8, "", "", 9001, "EC2 instance {res} is making connections to a Tor network as a Tor relay ({ip})."},
  // --- IAM (CloudTrail management events) ---
  {"CredentialAccess:IAMUser/AnomalousBehavior", "IAM", Res::kAccessKey, Act::kApi, 5, "GetSecretValue", "secretsmanager.amazonaws.com", 0, "The API GetSecretValue used to gain access to an AWS environment was invoked in an anomalous way by {user}."},
  {"DefenseEvasion:IAMUser/AnomalousBehavior", "IAM", Res::kAccessKey, Act::kApi, 5, "DeleteFlowLogs", "ec2.amazonaws.com", 0, "The API DeleteFlowLogs used to evade defensive measures was invoked in an anomalous way by {user}."},
  {"Discovery:IAMUser/AnomalousBehavior", "IAM", Res::kAccessKey, Act::kApi, 2, "ListRoles", "iam.amazonaws.com", 0, "The API ListRoles commonly used to discover resources was invoked in an anomalous way by {user}."},
  {"Exfiltration:IAMUser/AnomalousBehavior", "IAM", Res::kAccessKey, Act::kApi, 8, "PutBucketReplication", "s3.amazonaws.com", 0, "The API PutBucketReplication commonly used to collect data was invoked in an anomalous way by {user}."},
  {"Impact:IAMUser/AnomalousBehavior", "IAM", Res::kAccessKey, Act::kApi, 8, "DeleteSecurityGroup", "ec2.amazonaws.com", 0, "The API DeleteSecurityGroup commonly used to tamper with data or processes was invoked in an anomalous way by {user}."},
  {"InitialAccess:IAMUser/AnomalousBehavior", "IAM", Res::kAccessKey, Act::kApi, 5, "StartSession", "ssm.amazonaws.com", 0, "The API StartSession commonly used to gain unauthorized access was invoked in an anomalous way by {user}."},
  {"PenTest:IAMUser/KaliLinux", "IAM", Res::kAccessKey, Act::kApi, 5, "DescribeInstances", "ec2.amazonaws.com", 0, "The API DescribeInstances was invoked from a Kali Linux computer at {ip} by {user}."},
  {"PenTest:IAMUser/ParrotLinux", "IAM", Res::kAccessKey, Act::kApi, 5, "ListBuckets", "s3.amazonaws.com", 0, "The API ListBuckets was invoked from a Parrot Security Linux computer at {ip} by {user}."},
  {"PenTest:IAMUser/PentooLinux", "IAM", Res::kAccessKey, Act::kApi, 5, "GetCallerIdentity", "sts.amazonaws.com", 0, "The API GetCallerIdentity was invoked from a Pentoo Linux computer at {ip} by {user}."},
  {"Persistence:IAMUser/AnomalousBehavior", "IAM", Res::kAccessKey, Act::kApi, 5, "CreateAccessKey", "iam.amazonaws.com", 0, "The API CreateAccessKey used to maintain unauthorized access was invoked in an anomalous way by {user}."},
  {"Policy:IAMUser/RootCredentialUsage", "IAM", Res::kAccessKey, Act::kApi, 2, "DescribeRegions", "ec2.amazonaws.com", 0, "The API DescribeRegions was invoked using root credentials from {ip}."},
  {"PrivilegeEscalation:IAMUser/AnomalousBehavior", "IAM", Res::kAccessKey, Act::kApi, 5, "AttachUserPolicy", "iam.amazonaws.com", 0, "The API AttachUserPolicy commonly used to obtain high-level permissions was invoked in an anomalous way by {user}."},
  {"Recon:IAMUser/MaliciousIPCaller", "IAM", Res::kAccessKey, Act::kApi, 5, "ListUsers", "iam.amazonaws.com", 0, "Reconnaissance API ListUsers was invoked from known malicious IP address {ip}."},
  {"Recon:IAMUser/MaliciousIPCaller.Custom", "IAM", Res::kAccessKey, Act::kApi, 5, "DescribeSecurityGroups", "ec2.amazonaws.com", 0, "Reconnaissance API DescribeSecurityGroups was invoked from {ip}, an address on a custom threat list."},
  {"Recon:IAMUser/TorIPCaller", "IAM", Res::kAccessKey, Act::kApi, 5, "GetAccountAuthorizationDetails", "iam.amazonaws.com", 0, "Reconnaissance API GetAccountAuthorizationDetails was invoked from Tor exit node {ip}."},
  {"Stealth:IAMUser/CloudTrailLoggingDisabled", "IAM", Res::kAccessKey, Act::kApi, 2, "StopLogging", "cloudtrail.amazonaws.com", 0, "AWS CloudTrail trail management-events was disabled by {user}."},
  {"Stealth:IAMUser/PasswordPolicyChange", "IAM", Res::kAccessKey, Act::kApi, 2, "DeleteAccountPasswordPolicy", "iam.amazonaws.com", 0, "The account password policy was weakened by {user}."},
  {"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", "IAM", Res::kAccessKey, Act::kApi, 5, "ConsoleLogin", "signin.amazonaws.com", 0, "Multiple worldwide successful console logins were observed for {user}, the latest from {ip}."},
  {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS", "IAM", Res::kAccessKey, Act::kApi, 8, "DescribeInstances", "ec2.amazonaws.com", 0, "Credentials created exclusively for an EC2 instance through an instance launch role are being used from another AWS account."},
  {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "IAM", Res::kAccessKey, Act::kApi, 8, "ListBuckets", "s3.amazonaws.com", 0, "Credentials created exclusively for an EC2 instance through an instance launch role are being used from external IP address {ip}."},
  {"UnauthorizedAccess:IAMUser/MaliciousIPCaller", "IAM", Res::kAccessKey, Act::kApi, 5, "RunInstances", "ec2.amazonaws.com", 0, "The API RunInstances was invoked from known malicious IP address {ip}."},
  {"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", "IAM", Res::kAccessKey, Act::kApi, 5, "CreateUser", "iam.amazonaws.com", 0, "The API CreateUser was invoked from {ip}, an address on a custom threat list."},
  {"UnauthorizedAccess:IAMUser/TorIPCaller", "IAM", Res::kAccessKey, Act::kApi, 5, "GetSessionToken", "sts.amazonaws.com", 0, "The API GetSessionToken was invoked from Tor exit node {ip}."},
  // --- S3 (CloudTrail data events for S3) ---
  {"Discovery:S3/AnomalousBehavior", "S3", Res::kS3Bucket, Act::kApi, 2, "ListObjects", "s3.amazonaws.com", 0, "The S3 API ListObjects commonly used to discover objects was invoked on bucket {bucket} in an anomalous way by {user}."},
  {"Discovery:S3/MaliciousIPCaller", "S3", Res::kS3Bucket, Act::kApi, 8, "GetBucketAcl", "s3.amazonaws.com", 0, "The S3 API GetBucketAcl was invoked on bucket {bucket} from known malicious IP address {ip}."},
  {"Discovery:S3/MaliciousIPCaller.Custom", "S3", Res::kS3Bucket, Act::kApi, 8, "GetBucketPolicy", "s3.amazonaws.com", 0, "The S3 API GetBucketPolicy was invoked on bucket {bucket} from {ip}, an address on a custom threat list."},
  {"Discovery:S3/TorIPCaller", "S3", Res::kS3Bucket, Act::kApi, 5, "ListObjectsV2", "s3.amazonaws.com", 0, "The S3 API ListObjectsV2 was invoked on bucket {bucket} from Tor exit node {ip}."},
  {"Exfiltration:S3/AnomalousBehavior", "S3", Res::kS3Bucket, Act::kApi, 8, "GetObject", "s3.amazonaws.com", 0, "Objects of bucket {bucket} were read by {user} in an anomalous way (API GetObject)."},
  {"Exfiltration:S3/MaliciousIPCaller", "S3", Res::kS3Bucket, Act::kApi, 8, "GetObject", "s3.amazonaws.com", 0, "Objects of bucket {bucket} were read from known malicious IP address {ip}."},
  {"Impact:S3/AnomalousBehavior.Delete", "S3", Res::kS3Bucket, Act::kApi, 8, "DeleteObjects", "s3.amazonaws.com", 0, "Objects of bucket {bucket} were deleted by {user} in an anomalous way (API DeleteObjects)."},
  {"Impact:S3/AnomalousBehavior.Permission", "S3", Res::kS3Bucket, Act::kApi, 8, "PutBucketAcl", "s3.amazonaws.com", 0, "The access control list of bucket {bucket} was changed by {user} in an anomalous way."},
  {"Impact:S3/AnomalousBehavior.Write", "S3", Res::kS3Bucket, Act::kApi, 5, "PutObject", "s3.amazonaws.com", 0, "Objects were written to bucket {bucket} by {user} in an anomalous way (API PutObject)."},
  {"Impact:S3/MaliciousIPCaller", "S3", Res::kS3Bucket, Act::kApi, 8, "PutBucketPolicy", "s3.amazonaws.com", 0, "The S3 API PutBucketPolicy was invoked on bucket {bucket} from known malicious IP address {ip}."},
  {"PenTest:S3/KaliLinux", "S3", Res::kS3Bucket, Act::kApi, 5, "GetBucketLocation", "s3.amazonaws.com", 0, "The S3 API GetBucketLocation was invoked on bucket {bucket} from a Kali Linux computer at {ip}."},
  {"PenTest:S3/ParrotLinux", "S3", Res::kS3Bucket, Act::kApi, 5, "ListObjects", "s3.amazonaws.com", 0, "The S3 API ListObjects was invoked on bucket {bucket} from a Parrot Security Linux computer at {ip}."},
  {"PenTest:S3/PentooLinux", "S3", Res::kS3Bucket, Act::kApi, 5, "GetBucketAcl", "s3.amazonaws.com", 0, "The S3 API GetBucketAcl was invoked on bucket {bucket} from a Pentoo Linux computer at {ip}."},
  {"Policy:S3/AccountBlockPublicAccessDisabled", "S3", Res::kS3Bucket, Act::kApi, 2, "PutAccountPublicAccessBlock", "s3.amazonaws.com", 0, "Amazon S3 Block Public Access was disabled for the account by {user}."},
  {"Policy:S3/BucketAnonymousAccessGranted", "S3", Res::kS3Bucket, Act::kApi, 8, "PutBucketPolicy", "s3.amazonaws.com", 0, "Bucket {bucket} was made publicly accessible to anonymous users by {user}."},
  {"Policy:S3/BucketBlockPublicAccessDisabled", "S3", Res::kS3Bucket, Act::kApi, 2, "PutBucketPublicAccessBlock", "s3.amazonaws.com", 0, "Amazon S3 Block Public Access was disabled for bucket {bucket} by {user}."},
  {"Policy:S3/BucketPublicAccessGranted", "S3", Res::kS3Bucket, Act::kApi, 8, "PutBucketAcl", "s3.amazonaws.com", 0, "Bucket {bucket} was made publicly accessible to all AWS users by {user}."},
  {"Stealth:S3/ServerAccessLoggingDisabled", "S3", Res::kS3Bucket, Act::kApi, 2, "PutBucketLogging", "s3.amazonaws.com", 0, "Server access logging was disabled for bucket {bucket} by {user}."},
  {"UnauthorizedAccess:S3/MaliciousIPCaller.Custom", "S3", Res::kS3Bucket, Act::kApi, 8, "GetObject", "s3.amazonaws.com", 0, "The S3 API GetObject was invoked on bucket {bucket} from {ip}, an address on a custom threat list."},
  {"UnauthorizedAccess:S3/TorIPCaller", "S3", Res::kS3Bucket, Act::kApi, 8, "GetObject", "s3.amazonaws.com", 0, "The S3 API GetObject was invoked on bucket {bucket} from Tor exit node {ip}."},
  // --- EKS Protection (Kubernetes audit logs) ---
  {"CredentialAccess:Kubernetes/MaliciousIPCaller", "EKS", Res::kEks, Act::kK8s, 8, "/api/v1/namespaces/kube-system/secrets", "list", 0, "Kubernetes secrets of cluster {cluster} were listed from known malicious IP address {ip}."},
  {"CredentialAccess:Kubernetes/SuccessfulAnonymousAccess", "EKS", Res::kEks, Act::kK8s, 8, "/api/v1/namespaces/kube-system/secrets", "list", 0, "An unauthenticated user listed the secrets of cluster {cluster}."},
  {"CredentialAccess:Kubernetes/TorIPCaller", "EKS", Res::kEks, Act::kK8s, 8, "/api/v1/namespaces/default/secrets/db-credentials", "get", 0, "A Kubernetes secret of cluster {cluster} was read from Tor exit node {ip}."},
  {"DefenseEvasion:Kubernetes/MaliciousIPCaller", "EKS", Res::kEks, Act::kK8s, 8, "/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node", "patch", 0, "A Kubernetes API commonly used to evade defensive measures was invoked on cluster {cluster} from known malicious IP address {ip}."},
  {"Discovery:Kubernetes/MaliciousIPCaller", "EKS", Res::kEks, Act::kK8s, 5, "/api/v1/pods", "list", 0, "A Kubernetes API commonly used to discover resources was invoked on cluster {cluster} from known malicious IP address {ip}."},
  {"Discovery:Kubernetes/SuccessfulAnonymousAccess", "EKS", Res::kEks, Act::kK8s, 5, "/api/v1/namespaces", "list", 0, "An unauthenticated user listed the namespaces of cluster {cluster}."},
  {"Discovery:Kubernetes/TorIPCaller", "EKS", Res::kEks, Act::kK8s, 5, "/api/v1/nodes", "list", 0, "A Kubernetes API commonly used to discover resources was invoked on cluster {cluster} from Tor exit node {ip}."},
  {"Execution:Kubernetes/ExecInKubeSystemPod", "EKS", Res::kEks, Act::kK8s, 5, "/api/v1/namespaces/kube-system/pods/coredns-5d78c9869d-x7q2p/exec", "create", 0, "A command was executed inside a pod in the kube-system namespace of cluster {cluster}."},
  {"Impact:Kubernetes/MaliciousIPCaller", "EKS", Res::kEks, Act::kK8s, 8, "/api/v1/namespaces/default/pods", "delete", 0, "A Kubernetes API commonly used to tamper with resources was invoked on cluster {cluster} from known malicious IP address {ip}."},
  {"Persistence:Kubernetes/ContainerWithSensitiveMount", "EKS", Res::kEks, Act::kK8s, 5, "/api/v1/namespaces/default/pods", "create", 0, "A container with a sensitive host path mounted was launched in cluster {cluster}."},
  {"Policy:Kubernetes/AdminAccessToDefaultServiceAccount", "EKS", Res::kEks, Act::kK8s, 8, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "create", 0, "The default service account of cluster {cluster} was granted admin privileges."},
  {"Policy:Kubernetes/AnonymousAccessGranted", "EKS", Res::kEks, Act::kK8s, 8, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "create", 0, "The system:anonymous user of cluster {cluster} was granted API permission."},
  {"Policy:Kubernetes/ExposedDashboard", "EKS", Res::kEks, Act::kK8s, 5, "/api/v1/namespaces/kubernetes-dashboard/services/kubernetes-dashboard", "update", 0, "The Kubernetes dashboard of cluster {cluster} was exposed to the internet."},
  {"Policy:Kubernetes/KubeflowDashboardExposed", "EKS", Res::kEks, Act::kK8s, 5, "/api/v1/namespaces/kubeflow/services/centraldashboard", "update", 0, "The Kubeflow dashboard of cluster {cluster} was exposed to the internet."},
  {"PrivilegeEscalation:Kubernetes/PrivilegedContainer", "EKS", Res::kEks, Act::kK8s, 5, "/api/v1/namespaces/default/pods", "create", 0, "A privileged container with root level access was launched in cluster {cluster}."},
  // --- Runtime Monitoring ---
  {"Backdoor:Runtime/C&CActivity.B!DNS", "Runtime", Res::kInstance, Act::kDns, 8, "c2-beacon.example.com", "", 0, "A process on EC2 instance {res} is querying a domain name associated with a known command and control server."},
  {"CryptoCurrency:Runtime/BitcoinTool.B!DNS", "Runtime", Res::kEks, Act::kDns, 8, "pool.coinmine.example.net", "", 0, "A container in cluster {cluster} is querying a domain name {dom} associated with cryptocurrency-related activity."},
  {"DefenseEvasion:Runtime/FilelessExecution", "Runtime", Res::kInstance, Act::kNone, 5, "", "", 0, "A process on EC2 instance {res} is executing code from memory."},
  {"DefenseEvasion:Runtime/ProcessInjection.Proc", "Runtime", Res::kEcs, Act::kNone, 8, "", "", 0, "A process in ECS cluster {cluster} injected code into another process through the proc filesystem."},
  {"Discovery:Runtime/SuspiciousCommand", "Runtime", Res::kInstance, Act::kNone, 2, "", "", 0, "A suspicious discovery command was executed on EC2 instance {res}."},
  {"Execution:Runtime/NewBinaryExecuted", "Runtime", Res::kEks, Act::kNone, 5, "", "", 0, "A newly created or modified binary was executed in a container of cluster {cluster}."},
  {"Execution:Runtime/NewLibraryLoaded", "Runtime", Res::kContainer, Act::kNone, 5, "", "", 0, "A newly created or modified library was loaded by a process in container {res}."},
  {"Execution:Runtime/ReverseShell", "Runtime", Res::kInstance, Act::kNone, 8, "", "", 0, "A process on EC2 instance {res} has created a reverse shell."},
  {"Execution:Runtime/SuspiciousTool", "Runtime", Res::kInstance, Act::kNone, 8, "", "", 0, "A suspicious tool associated with offensive security was executed on EC2 instance {res}."},
  {"Impact:Runtime/CryptoMinerExecuted", "Runtime", Res::kEks, Act::kNetOut, 8, "", "", 3333, "A container in cluster {cluster} is running a cryptocurrency miner connected to {ip}."},
  {"PrivilegeEscalation:Runtime/ContainerMountsHostDirectory", "Runtime", Res::kEks, Act::kNone, 5, "", "", 0, "A container in cluster {cluster} mounted a host directory at runtime."},
  {"PrivilegeEscalation:Runtime/DockerSocketAccessed", "Runtime", Res::kEcs, Act::kNone, 5, "", "", 0, "A process inside a container of ECS cluster {cluster} is communicating with the Docker socket."},
  {"UnauthorizedAccess:Runtime/TorClient", "Runtime", Res::kInstance, Act::kNetOut, 8, "", "", 9001, "A process on EC2 instance {res} is connecting to Tor Guard or Authority node {ip}."},
  // --- Malware Protection ---
  {"Execution:EC2/MaliciousFile", "Malware", Res::kInstance, Act::kNone, 8, "", "", 0, "A malicious file was detected on the EBS volumes of EC2 instance {res}."},
  {"Execution:EC2/SuspiciousFile", "Malware", Res::kInstance, Act::kNone, 5, "", "", 0, "A suspicious file was detected on the EBS volumes of EC2 instance {res}."},
  {"Execution:ECS/MaliciousFile", "Malware", Res::kEcs, Act::kNone, 8, "", "", 0, "A malicious file was detected in a task of ECS cluster {cluster}."},
  {"Execution:Kubernetes/MaliciousFile", "Malware", Res::kEks, Act::kNone, 8, "", "", 0, "A malicious file was detected in a container of cluster {cluster}."},
  {"Execution:Container/MaliciousFile", "Malware", Res::kContainer, Act::kNone, 8, "", "", 0, "A malicious file was detected in standalone container {res}."},
  {"Object:S3/MaliciousFile", "Malware", Res::kS3Object, Act::kNone, 8, "", "", 0, "A malicious file was uploaded to bucket {bucket}."},
};
// clang-format on

const char* resourceTypeName(Res r) {
  switch (r) {
    case Res::kInstance:
      return "Instance";
    case Res::kAccessKey:
      return "AccessKey";
    case Res::kS3Bucket:
      return "S3Bucket";
    case Res::kEks:
      return "EKSCluster";
    case Res::kEcs:
      return "ECSCluster";
    case Res::kContainer:
      return "Container";
    case Res::kS3Object:
      return "S3Object";
  }
  return "";
}

const char* actionTypeName(Act a) {
  switch (a) {
    case Act::kNone:
      return "";
    case Act::kNetIn:
    case Act::kNetOut:
      return "NETWORK_CONNECTION";
    case Act::kProbe:
      return "PORT_PROBE";
    case Act::kDns:
      return "DNS_REQUEST";
    case Act::kApi:
      return "AWS_API_CALL";
    case Act::kK8s:
      return "KUBERNETES_API_CALL";
  }
  return "";
}

const Spec* findSpec(std::string_view type) {
  for (const auto& s : kSpecs) {
    if (type == s.type) return &s;
  }
  return nullptr;
}

// ------------------------------------------------------------------ deterministic values

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// SplitMix64: small, fast, and good enough to make sample values look varied.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform-enough integer in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  std::string hex(int n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    while (static_cast<int>(out.size()) < n) out += kHex[next() & 15];
    return out;
  }
  std::string upperAlnum(int n) {
    static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string out;
    while (static_cast<int>(out.size()) < n) out += kChars[next() & 31];
    return out;
  }
  template <typename T, size_t N>
  const T& pick(const std::array<T, N>& a) {
    return a[next() % N];
  }

 private:
  uint64_t state_;
};

std::string iso(int64_t ms) {
  return formatIso8601Millis(ms, true);
}

std::string replaceAll(std::string s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

std::string portName(int port) {
  switch (port) {
    case 22:
      return "SSH";
    case 25:
      return "SMTP";
    case 53:
      return "DNS";
    case 80:
      return "HTTP";
    case 123:
      return "NTP";
    case 443:
      return "HTTPS";
    case 3389:
      return "RDP";
    case 5985:
      return "WinRM";
    case 8088:
      return "EMR";
    default:
      return "Unknown";
  }
}

bool isAccount(const std::string& s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isRegion(const std::string& s) {
  // "us-east-1", "ap-southeast-2", "us-gov-west-1", "eu-central-2"
  if (s.size() < 9 || s.size() > 20) return false;
  if (!std::isdigit(static_cast<unsigned char>(s.back()))) return false;
  int dashes = 0;
  for (char c : s) {
    if (c == '-') {
      ++dashes;
    } else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9')) {
      return false;
    }
  }
  return dashes >= 2;
}

bool isInstanceId(const std::string& s) {
  if (s.size() < 10 || s.size() > 19 || s.rfind("i-", 0) != 0) return false;
  return std::all_of(s.begin() + 2, s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Everything a finding says about its world, drawn once so every mention agrees.
struct World {
  std::string account, region, partition = "aws", az;
  std::string detector_id;
  // EC2
  std::string instance_id, instance_type, ami, vpc, subnet, eni, sg_id, sg_name, profile_name,
      private_ip, public_ip, ipv6, private_dns, public_dns, name_tag;
  int64_t launch_ms = 0;
  // IAM
  // An IAM user's long-term key (AKIA…) and, with the same draw, the temporary key (ASIA…) a
  // session (root console, an instance's role) signs with.
  std::string user_key, session_key, principal_id, user_name;
  // The role of the instance profile, whose session credentials an instance receives: the
  // principal of InstanceCredentialExfiltration findings.
  std::string role_name, role_id;
  // S3
  std::string bucket, owner_id;
  // EKS / ECS / container
  std::string cluster, namespace_, pod, pod_uid, container_id, container_name, image, task_id;
  // remote side
  std::string remote_ip, remote_ip2, country, country_code, city, org;
  int asn = 0;
  double lat = 0, lon = 0;
};

World drawWorld(uint64_t seed, const SampleOptions& o, Rng& fr) {
  Rng r(seed * 0x2545F4914F6CDD1Dull + 17);
  World w;
  w.account = o.account;
  w.region = o.region;
  if (o.region.rfind("cn-", 0) == 0) w.partition = "aws-cn";
  if (o.region.rfind("us-gov-", 0) == 0) w.partition = "aws-us-gov";
  w.az = o.region + static_cast<char>('a' + r.range(0, 2));
  Rng dr(fnv1a(o.account + "/" + o.region));
  w.detector_id = dr.hex(32);
  w.instance_id = o.instance_id.empty() ? "i-0" + r.hex(16) : o.instance_id;
  static const std::array<const char*, 5> kTypes = {"t3.micro", "t3.large", "m5.xlarge",
                                                    "c6i.2xlarge", "r6g.large"};
  w.instance_type = r.pick(kTypes);
  w.ami = "ami-0" + r.hex(16);
  w.vpc = "vpc-0" + r.hex(16);
  w.subnet = "subnet-0" + r.hex(16);
  w.eni = "eni-0" + r.hex(16);
  w.sg_id = "sg-0" + r.hex(16);
  static const std::array<const char*, 5> kRoles = {"web", "api", "worker", "bastion", "batch"};
  std::string role = r.pick(kRoles);
  w.sg_name = role + "-tier";
  w.name_tag = role + "-" + std::to_string(r.range(1, 9));
  w.profile_name = role + "-instance-profile";
  w.private_ip = "192.0.2." + std::to_string(r.range(10, 99));
  w.public_ip = "192.0.2." + std::to_string(r.range(100, 250));
  w.ipv6 = "2001:db8:" + r.hex(4) + "::" + r.hex(4);
  w.private_dns =
      "ip-" + replaceAll(w.private_ip, ".", "-") + "." +
      (o.region == "us-east-1" ? std::string("ec2.internal") : o.region + ".compute.internal");
  w.public_dns = "ec2-" + replaceAll(w.public_ip, ".", "-") + ".compute-1.amazonaws.com";
  std::string key = r.upperAlnum(16);
  w.user_key = "AKIA" + key;
  w.session_key = "ASIA" + key;
  w.principal_id = "AIDA" + r.upperAlnum(17);
  w.role_name = role + "-instance-role";
  w.role_id = "AROA" + w.principal_id.substr(4);
  static const std::array<const char*, 5> kUsers = {"alice", "deploy-bot", "ci-runner", "bob",
                                                    "data-pipeline"};
  w.user_name = r.pick(kUsers);
  static const std::array<const char*, 5> kBuckets = {"customer-exports", "app-logs", "backups",
                                                      "analytics-raw", "static-assets"};
  w.bucket = std::string(r.pick(kBuckets)) + "-" + o.account + "-" + r.hex(6);
  w.owner_id = r.hex(64);
  static const std::array<const char*, 4> kClusters = {"prod-eks", "payments", "platform",
                                                       "staging-eks"};
  w.cluster = std::string(r.pick(kClusters)) + "-" + r.hex(4);
  w.namespace_ = "default";
  w.pod = role + "-" + r.hex(10) + "-" + r.hex(5);
  w.pod_uid = r.hex(8) + "-" + r.hex(4) + "-4" + r.hex(3) + "-a" + r.hex(3) + "-" + r.hex(12);
  w.container_id = r.hex(64);
  w.container_name = role;
  w.image = std::string("registry.example.com/") + role + ":1." + std::to_string(r.range(0, 9));
  w.task_id = r.hex(32);
  w.launch_ms = o.now_ms - r.range(2, 90) * 86'400'000;
  // The remote side varies per finding type (fr), so two types about one resource name two
  // different attackers, but a re-run with the same seed names the same.
  w.remote_ip = (fr.next() & 1 ? "198.51.100." : "203.0.113.") + std::to_string(fr.range(1, 254));
  w.remote_ip2 = "203.0.113." + std::to_string(fr.range(1, 254));
  struct Place {
    const char *country, *code, *city;
    double lat, lon;
  };
  static const std::array<Place, 6> kPlaces = {{{"Netherlands", "NL", "Amsterdam", 52.37, 4.89},
                                                {"Germany", "DE", "Frankfurt", 50.11, 8.68},
                                                {"Brazil", "BR", "Sao Paulo", -23.55, -46.63},
                                                {"Singapore", "SG", "Singapore", 1.35, 103.82},
                                                {"United States", "US", "Ashburn", 39.04, -77.49},
                                                {"Romania", "RO", "Bucharest", 44.43, 26.10}}};
  const auto& p = fr.pick(kPlaces);
  w.country = p.country;
  w.country_code = p.code;
  w.city = p.city;
  w.lat = p.lat;
  w.lon = p.lon;
  w.asn = static_cast<int>(fr.range(64496, 64511));  // RFC 5398 documentation ASNs
  static const std::array<const char*, 4> kOrgs = {"Example Hosting", "Example Networks",
                                                   "Example Cloud Ltd", "Example Telecom"};
  w.org = fr.pick(kOrgs);
  return w;
}

json::object remoteIpDetails(const World& w) {
  return json::object{
      {"ipAddressV4", w.remote_ip},
      {"organization", json::object{{"asn", std::to_string(w.asn)},
                                    {"asnOrg", "EXAMPLE-AS" + std::to_string(w.asn)},
                                    {"isp", w.org},
                                    {"org", w.org}}},
      {"country", json::object{{"countryCode", w.country_code}, {"countryName", w.country}}},
      {"city", json::object{{"cityName", w.city}}},
      {"geoLocation", json::object{{"lat", w.lat}, {"lon", w.lon}}}};
}

json::array tags(std::initializer_list<std::pair<const char*, std::string>> kv) {
  json::array out;
  for (const auto& [k, v] : kv) out.push_back(json::object{{"key", k}, {"value", v}});
  return out;
}

json::object instanceDetails(const World& w, const std::string& state) {
  json::object eni{
      {"ipv6Addresses", json::array{json::value(w.ipv6)}},
      {"networkInterfaceId", w.eni},
      {"privateDnsName", w.private_dns},
      {"privateIpAddress", w.private_ip},
      {"privateIpAddresses", json::array{json::object{{"privateDnsName", w.private_dns},
                                                      {"privateIpAddress", w.private_ip}}}},
      {"publicDnsName", w.public_dns},
      {"publicIp", w.public_ip},
      {"securityGroups", json::array{json::object{{"groupId", w.sg_id}, {"groupName", w.sg_name}}}},
      {"subnetId", w.subnet},
      {"vpcId", w.vpc}};
  return json::object{
      {"availabilityZone", w.az},
      {"iamInstanceProfile", json::object{{"arn", "arn:" + w.partition + ":iam::" + w.account +
                                                      ":instance-profile/" + w.profile_name},
                                          {"id", "AIPA" + w.principal_id.substr(4)}}},
      {"imageDescription", "Amazon Linux 2023 AMI x86_64 HVM kernel-6.1"},
      {"imageId", w.ami},
      {"instanceId", w.instance_id},
      {"instanceState", state},
      {"instanceType", w.instance_type},
      {"launchTime", iso(w.launch_ms)},
      {"networkInterfaces", json::array{std::move(eni)}},
      {"productCodes", json::array{}},
      {"tags", tags({{"Name", w.name_tag}, {"Environment", "production"}})}};
}

// Whose credentials an AccessKey finding is about.
enum class Principal { kIamUser, kRoot, kInstanceRole };

Principal principalOf(std::string_view type) {
  if (type.find("RootCredential") != std::string_view::npos) return Principal::kRoot;
  // Credentials GuardDuty saw used outside the instance they were issued to: the session of
  // the instance profile's role, named "<role id>:<instance id>".
  if (type.find("InstanceCredentialExfiltration") != std::string_view::npos)
    return Principal::kInstanceRole;
  return Principal::kIamUser;
}

std::string accessKeyId(const World& w, Principal p) {
  return p == Principal::kIamUser ? w.user_key : w.session_key;
}

json::object accessKeyDetails(const World& w, Principal p) {
  switch (p) {
    case Principal::kRoot:
      return json::object{{"accessKeyId", accessKeyId(w, p)},
                          {"principalId", w.account},
                          {"userName", "Root"},
                          {"userType", "Root"}};
    case Principal::kInstanceRole:
      return json::object{{"accessKeyId", accessKeyId(w, p)},
                          {"principalId", w.role_id + ":" + w.instance_id},
                          {"userName", w.role_name},
                          {"userType", "AssumedRole"}};
    case Principal::kIamUser:
      break;
  }
  return json::object{{"accessKeyId", accessKeyId(w, p)},
                      {"principalId", w.principal_id},
                      {"userName", w.user_name},
                      {"userType", "IAMUser"}};
}

json::object bucketDetails(const World& w, int64_t created_ms, bool is_public) {
  return json::object{
      {"arn", "arn:" + w.partition + ":s3:::" + w.bucket},
      {"name", w.bucket},
      {"type", "Destination"},
      {"createdAt", iso(created_ms)},
      {"owner", json::object{{"id", w.owner_id}}},
      {"tags", tags({{"DataClassification", "confidential"}})},
      {"defaultServerSideEncryption", json::object{{"encryptionType", "AES256"}}},
      {"publicAccess",
       json::object{
           {"effectivePermission", is_public ? "PUBLIC" : "NOT_PUBLIC"},
           {"permissionConfiguration",
            json::object{{"bucketLevelPermissions",
                          json::object{{"blockPublicAccess",
                                        json::object{{"ignorePublicAcls", !is_public},
                                                     {"restrictPublicBuckets", !is_public},
                                                     {"blockPublicAcls", !is_public},
                                                     {"blockPublicPolicy", !is_public}}}}}}}}}};
}

json::object containerJson(const World& w, const std::string& runtime, bool privileged) {
  return json::object{
      {"containerRuntime", runtime},
      {"id", w.container_id},
      {"name", w.container_name},
      {"image", w.image},
      {"imagePrefix", "registry.example.com"},
      {"securityContext",
       json::object{{"privileged", privileged}, {"allowPrivilegeEscalation", privileged}}},
      {"volumeMounts", json::array{json::object{{"name", "host-root"}, {"mountPath", "/host"}}}}};
}

json::object eksDetails(const World& w, int64_t created_ms) {
  return json::object{{"name", w.cluster},
                      {"arn", "arn:" + w.partition + ":eks:" + w.region + ":" + w.account +
                                  ":cluster/" + w.cluster},
                      {"vpcId", w.vpc},
                      {"status", "ACTIVE"},
                      {"tags", tags({{"Environment", "production"}})},
                      {"createdAt", iso(created_ms)}};
}

json::object kubernetesDetails(const World& w, const Spec& s, bool anonymous) {
  bool privileged = std::string_view(s.type).find("Privileged") != std::string_view::npos ||
                    std::string_view(s.type).find("Sensitive") != std::string_view::npos ||
                    std::string_view(s.type).find("HostDirectory") != std::string_view::npos;
  json::object user =
      anonymous ? json::object{{"username", "system:anonymous"},
                               {"uid", ""},
                               {"groups", json::array{"system:unauthenticated"}}}
                : json::object{{"username", "kubernetes-admin"},
                               {"uid", "aws-iam-authenticator:" + w.account + ":" + w.principal_id},
                               {"groups", json::array{"system:masters", "system:authenticated"}}};
  json::object workload{
      {"name", w.pod},
      {"type", "pods"},
      {"uid", w.pod_uid},
      {"namespace", w.namespace_},
      {"hostNetwork", false},
      {"containers", json::array{containerJson(w, "containerd", privileged)}},
      {"volumes", json::array{json::object{
                      {"name", "host-root"},
                      {"hostPath", json::object{{"path", privileged ? "/" : "/var/log"}}}}}}};
  return json::object{{"kubernetesUserDetails", std::move(user)},
                      {"kubernetesWorkloadDetails", std::move(workload)}};
}

json::object ecsDetails(const World& w, int64_t now_ms) {
  std::string base = "arn:" + w.partition + ":ecs:" + w.region + ":" + w.account + ":";
  return json::object{
      {"name", w.cluster},
      {"arn", base + "cluster/" + w.cluster},
      {"status", "ACTIVE"},
      {"activeServicesCount", 3},
      {"registeredContainerInstancesCount", 0},
      {"runningTasksCount", 7},
      {"tags", tags({{"Environment", "production"}})},
      {"taskDetails",
       json::object{{"arn", base + "task/" + w.cluster + "/" + w.task_id},
                    {"definitionArn", base + "task-definition/" + w.container_name + ":12"},
                    {"version", "12"},
                    {"taskCreatedAt", iso(now_ms - 6 * 3'600'000)},
                    {"startedAt", iso(now_ms - 6 * 3'600'000 + 20'000)},
                    {"startedBy", "ecs-svc/" + w.task_id.substr(0, 19)},
                    {"launchType", "FARGATE"},
                    {"containers", json::array{containerJson(w, "containerd", false)}}}}};
}

json::object resourceFor(const Spec& s, const World& w, int64_t now_ms, const std::string& state) {
  json::object r{{"resourceType", resourceTypeName(s.res)}};
  const std::string type = s.type;
  switch (s.res) {
    case Res::kInstance:
      r["instanceDetails"] = instanceDetails(w, state);
      if (std::string_view(s.family) == "Malware") {
        r["ebsVolumeDetails"] =
            json::object{{"scannedVolumeDetails",
                          json::array{json::object{
                              {"volumeArn", "arn:" + w.partition + ":ec2:" + w.region + ":" +
                                                w.account + ":volume/vol-0" + w.eni.substr(5)},
                              {"volumeType", "gp3"},
                              {"deviceName", "/dev/xvda"},
                              {"volumeSizeInGB", 8},
                              {"encryptionType", "UNENCRYPTED"},
                              {"snapshotArn", "arn:" + w.partition + ":ec2:" + w.region +
                                                  "::snapshot/snap-0" + w.sg_id.substr(4)}}}}};
      }
      break;
    case Res::kAccessKey:
      r["accessKeyDetails"] = accessKeyDetails(w, principalOf(type));
      if (type.find("InstanceCredentialExfiltration") != std::string::npos) {
        r["instanceDetails"] = instanceDetails(w, state);
      }
      break;
    case Res::kS3Bucket:
      r["accessKeyDetails"] = accessKeyDetails(w, Principal::kIamUser);
      r["s3BucketDetails"] = json::array{
          bucketDetails(w, w.launch_ms,
                        type.find("Policy:S3/") == 0 && type.find("Stealth") == std::string::npos)};
      break;
    case Res::kEks: {
      bool anonymous = type.find("Anonymous") != std::string::npos;
      r["eksClusterDetails"] = eksDetails(w, w.launch_ms);
      r["kubernetesDetails"] = kubernetesDetails(w, s, anonymous);
      break;
    }
    case Res::kEcs:
      r["ecsClusterDetails"] = ecsDetails(w, now_ms);
      break;
    case Res::kContainer:
      r["containerDetails"] = containerJson(w, "docker", false);
      r["instanceDetails"] = instanceDetails(w, state);
      break;
    case Res::kS3Object: {
      json::object b = bucketDetails(w, w.launch_ms, false);
      b["s3ObjectDetails"] = json::array{json::object{
          {"objectArn", "arn:" + w.partition + ":s3:::" + w.bucket + "/uploads/invoice.pdf.exe"},
          {"key", "uploads/invoice.pdf.exe"},
          {"eTag", w.task_id},
          {"hash", w.container_id},
          {"versionId", w.task_id.substr(0, 16)}}};
      r["s3BucketDetails"] = json::array{std::move(b)};
      break;
    }
  }
  return r;
}

json::object actionFor(const Spec& s, const World& w, Rng& r) {
  json::object a;
  a["actionType"] = actionTypeName(s.act);
  const std::string type = s.type;
  switch (s.act) {
    case Act::kNone:
      return {};
    case Act::kNetIn:
    case Act::kNetOut: {
      bool in = s.act == Act::kNetIn;
      bool udp = type.find("Udp") != std::string::npos || type.find(".Dns") != std::string::npos;
      int ephemeral = static_cast<int>(r.range(32768, 60999));
      int local = in ? s.port : ephemeral;
      int remote = in ? ephemeral : s.port;
      a["networkConnectionAction"] = json::object{
          {"connectionDirection", in ? "INBOUND" : "OUTBOUND"},
          {"blocked", false},
          {"protocol", udp ? "UDP" : "TCP"},
          {"localNetworkInterface", w.eni},
          {"localPortDetails", json::object{{"port", local}, {"portName", portName(local)}}},
          {"remotePortDetails", json::object{{"port", remote}, {"portName", portName(remote)}}},
          {"localIpDetails", json::object{{"ipAddressV4", w.private_ip}}},
          {"remoteIpDetails", remoteIpDetails(w)}};
      break;
    }
    case Act::kProbe: {
      json::object d{
          {"localPortDetails", json::object{{"port", s.port}, {"portName", portName(s.port)}}},
          {"localIpDetails", json::object{{"ipAddressV4", w.private_ip}}},
          {"remoteIpDetails", remoteIpDetails(w)}};
      a["portProbeAction"] =
          json::object{{"blocked", false}, {"portProbeDetails", json::array{std::move(d)}}};
      break;
    }
    case Act::kDns: {
      std::string dom = s.arg;
      size_t dot = dom.rfind('.', dom.rfind('.') - 1);
      a["dnsRequestAction"] =
          json::object{{"domain", dom},
                       {"domainWithSuffix", dot == std::string::npos ? dom : dom.substr(dot + 1)},
                       {"protocol", "UDP"},
                       {"blocked", false}};
      break;
    }
    case Act::kApi: {
      std::string ua = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.amzn.2";
      if (type.find("KaliLinux") != std::string::npos)
        ua = "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024";
      if (type.find("ParrotLinux") != std::string::npos)
        ua = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-13parrot1-amd64 exe/x86_64.parrot.6";
      if (type.find("PentooLinux") != std::string::npos)
        ua = "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.8-pentoo exe/x86_64.gentoo";
      if (type.find("ConsoleLogin") != std::string::npos)
        ua = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
      json::object call{{"api", s.arg},
                        {"serviceName", s.arg2},
                        {"callerType", "Remote IP"},
                        {"userAgent", ua},
                        {"remoteIpDetails", remoteIpDetails(w)},
                        {"affectedResources", json::object{}}};
      if (type.find("InsideAWS") != std::string::npos) {
        call["callerType"] = "Remote account";
        call.erase("remoteIpDetails");
        call["remoteAccountDetails"] =
            json::object{{"accountId", "210987654321"}, {"affiliated", false}};
      }
      if (s.res == Res::kS3Bucket) {
        call["affectedResources"] =
            json::object{{"AWS::S3::Bucket", "arn:" + w.partition + ":s3:::" + w.bucket}};
      }
      a["awsApiCallAction"] = std::move(call);
      break;
    }
    case Act::kK8s: {
      bool anonymous = type.find("Anonymous") != std::string::npos;
      json::object call{{"requestUri", s.arg},
                        {"verb", s.arg2},
                        {"sourceIps", json::array{json::value(w.remote_ip)}},
                        {"userAgent", "kubectl/v1.29.1 (linux/amd64) kubernetes/bc401b9"},
                        {"remoteIpDetails", remoteIpDetails(w)},
                        {"statusCode", std::string_view(s.arg2) == "create" ? 201 : 200}};
      if (anonymous) call["userAgent"] = "curl/8.5.0";
      a["kubernetesApiCallAction"] = std::move(call);
      break;
    }
  }
  return a;
}

json::object runtimeDetails(const Spec& s, int64_t first_ms, Rng& r) {
  struct Proc {
    const char *name, *path;
  };
  std::string type = s.type;
  Proc p{"curl", "/usr/bin/curl"};
  if (type.find("ReverseShell") != std::string::npos) p = {"bash", "/usr/bin/bash"};
  if (type.find("SuspiciousTool") != std::string::npos) p = {"nmap", "/usr/bin/nmap"};
  if (type.find("SuspiciousCommand") != std::string::npos) p = {"find", "/usr/bin/find"};
  if (type.find("NewBinary") != std::string::npos) p = {"kworkerds", "/tmp/.cache/kworkerds"};
  if (type.find("NewLibrary") != std::string::npos) p = {"python3", "/usr/bin/python3"};
  if (type.find("CryptoMiner") != std::string::npos || type.find("Bitcoin") != std::string::npos)
    p = {"xmrig", "/tmp/xmrig"};
  if (type.find("Fileless") != std::string::npos) p = {"memfd:payload", "/memfd:payload (deleted)"};
  if (type.find("DockerSocket") != std::string::npos) p = {"docker", "/usr/local/bin/docker"};
  if (type.find("ProcessInjection") != std::string::npos) p = {"inject", "/tmp/inject"};
  int pid = static_cast<int>(r.range(1000, 60000));
  json::object process{{"name", p.name},
                       {"executablePath", p.path},
                       {"executableSha256", r.hex(64)},
                       {"pid", pid},
                       {"namespacePid", static_cast<int>(r.range(2, 200))},
                       {"uid", 0},
                       {"euid", 0},
                       {"user", "root"},
                       {"pwd", "/root"},
                       {"startTime", iso(first_ms)},
                       {"lineage", json::array{json::object{{"name", "sh"},
                                                            {"executablePath", "/usr/bin/sh"},
                                                            {"pid", pid - 1},
                                                            {"userId", 0},
                                                            {"startTime", iso(first_ms - 1000)}}}}};
  json::object context;
  if (type.find("DockerSocket") != std::string::npos)
    context["socketPath"] = "/var/run/docker.sock";
  if (type.find("HostDirectory") != std::string::npos) {
    context["mountSource"] = "/";
    context["mountTarget"] = "/host";
  }
  if (type.find("NewLibrary") != std::string::npos)
    context["libraryPath"] = "/tmp/.lib/libprocesshider.so";
  if (type.find("ProcessInjection") != std::string::npos)
    context["targetProcess"] = json::object{{"name", "nginx"}, {"pid", pid + 7}};
  if (type.find("ReverseShell") != std::string::npos) {
    context["addressFamily"] = "AF_INET";
    context["ianaProtocolNumber"] = 6;
  }
  return json::object{{"process", std::move(process)}, {"context", std::move(context)}};
}

json::object ebsScanDetails(const World& w, const std::string& finding_id, int64_t now_ms,
                            bool suspicious, Rng& r) {
  std::string volume = "arn:" + w.partition + ":ec2:" + w.region + ":" + w.account +
                       ":volume/vol-0" + w.eni.substr(5);
  json::object threat{
      {"name", suspicious ? "Suspicious.Packer.UPX" : "EICAR-Test-File (not a virus)"},
      {"severity", suspicious ? "MEDIUM" : "HIGH"},
      {"itemCount", 1},
      {"filePaths", json::array{json::object{{"filePath", "/tmp/.x/payload.bin"},
                                             {"volumeArn", volume},
                                             {"hash", r.hex(64)},
                                             {"fileName", "payload.bin"}}}}};
  return json::object{
      {"scanId", r.hex(32)},
      {"scanStartedAt", iso(now_ms - 10 * 60'000)},
      {"scanCompletedAt", iso(now_ms - 2 * 60'000)},
      {"triggerFindingId", finding_id},
      {"sources", json::array{"Amazon", "Bitdefender"}},
      {"scanType", "GUARDDUTY_INITIATED"},
      {"scanDetections",
       json::object{
           {"scannedItemCount", json::object{{"totalGb", 8}, {"files", 25418}, {"volumes", 1}}},
           {"threatsDetectedItemCount", json::object{{"files", 1}}},
           {"highestSeverityThreatDetails", json::object{{"severity", threat.at("severity")},
                                                         {"threatName", threat.at("name")},
                                                         {"count", 1}}},
           {"threatDetectedByName",
            json::object{{"itemCount", 1},
                         {"uniqueThreatNameCount", 1},
                         {"shortened", false},
                         {"threatNames", json::array{std::move(threat)}}}}}}};
}

const char* featureName(const Spec& s) {
  std::string_view f = s.family;
  if (f == "EC2") return s.act == Act::kDns ? "DnsLogs" : "FlowLogs";
  if (f == "IAM") return "CloudTrail";
  if (f == "S3") return "S3DataEvents";
  if (f == "EKS") return "EksAuditLogs";
  if (f == "Runtime") return "RuntimeMonitoring";
  return s.res == Res::kS3Object ? "S3MalwareProtection" : "EbsMalwareProtection";
}

std::string threatListFor(const std::string& type) {
  if (type.find(".Custom") != std::string::npos) return "CustomerThreatIntel";
  if (type.find("Tor") != std::string::npos) return "TorExitNodes";
  if (type.find("MaliciousIPCaller") != std::string::npos ||
      type.find("C&C") != std::string::npos || type.find("Bitcoin") != std::string::npos ||
      type.find("Reputation") != std::string::npos || type.find("DropPoint") != std::string::npos ||
      type.find("Phishing") != std::string::npos)
    return "ProofPoint";
  return "";
}

}  // namespace

// ------------------------------------------------------------------ public API

const std::vector<SampleType>& sampleTypes() {
  static const std::vector<SampleType> kTypes = [] {
    std::vector<SampleType> out;
    for (const auto& s : kSpecs) {
      out.push_back(
          SampleType{s.type, s.family, resourceTypeName(s.res), actionTypeName(s.act), s.severity});
    }
    return out;
  }();
  return kTypes;
}

const SampleType* findSampleType(std::string_view type) {
  for (const auto& t : sampleTypes()) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

Result<json::object> catalogueEvent(std::string_view type) {
  SampleOptions o;
  o.seed = 1;
  o.now_ms = 1767225600000;  // 2026-01-01T00:00:00Z
  auto f = sampleFinding(type, o);
  if (!f) return fail(f.error());
  return sampleEvent(*f);
}

Result<json::object> sampleFinding(std::string_view type, const SampleOptions& options) {
  const Spec* spec = findSpec(type);
  if (!spec) {
    std::string known;
    for (const auto& s : kSpecs) known += std::string(known.empty() ? "" : ", ") + s.type;
    return fail("UnknownFindingType", "unknown GuardDuty finding type '" + std::string(type) +
                                          "'; known types: " + known);
  }
  if (options.severity && !(*options.severity >= 0 && *options.severity <= 10)) {
    return fail("InvalidInput", "severity must be between 0 and 10");
  }
  if (!isRegion(options.region))
    return fail("InvalidInput", "'" + options.region + "' is not an AWS region name");
  if (!isAccount(options.account))
    return fail("InvalidInput",
                "account '" + options.account + "' is not a 12-digit AWS account id");
  if (!options.instance_id.empty() && !isInstanceId(options.instance_id))
    return fail("InvalidInput", "'" + options.instance_id + "' is not an EC2 instance id");

  SampleOptions o = options;
  if (o.now_ms == 0) o.now_ms = SystemClock::instance().nowMillis();
  Rng fr(o.seed ^ fnv1a(spec->type));
  World w = drawWorld(o.seed, o, fr);

  const std::string id = fr.hex(32);
  const int64_t updated = o.now_ms;
  const int64_t last_seen = updated - fr.range(30, 300) * 1000;
  const int64_t created = updated - fr.range(10, 60) * 60'000;
  const int64_t first_seen = created - fr.range(1, 30) * 60'000;
  const int count = static_cast<int>(fr.range(1, 24));
  const double severity = o.severity.value_or(spec->severity);

  std::string title = spec->title;
  std::string res_id = w.instance_id;
  if (spec->res == Res::kAccessKey) res_id = accessKeyId(w, principalOf(spec->type));
  if (spec->res == Res::kS3Bucket || spec->res == Res::kS3Object) res_id = w.bucket;
  if (spec->res == Res::kEks || spec->res == Res::kEcs) res_id = w.cluster;
  if (spec->res == Res::kContainer) res_id = w.container_id.substr(0, 12);
  std::string dom = spec->act == Act::kDns ? spec->arg : "";
  for (auto [k, v] : std::initializer_list<std::pair<std::string_view, std::string>>{
           {"{res}", res_id},
           {"{ip}", w.remote_ip},
           {"{dom}", dom},
           {"{api}", spec->act == Act::kApi ? spec->arg : ""},
           {"{port}", std::to_string(spec->port)},
           {"{user}", spec->res == Res::kAccessKey || spec->res == Res::kS3Bucket
                          ? "IAM user " + w.user_name
                          : w.user_name},
           {"{bucket}", w.bucket},
           {"{cluster}", w.cluster}}) {
    title = replaceAll(title, k, v);
  }
  static const std::map<std::string_view, const char*> kWhy = {
      {"EC2", "GuardDuty observed this in the instance's VPC flow logs or DNS queries."},
      {"IAM", "GuardDuty observed this in the account's CloudTrail management events."},
      {"S3", "GuardDuty observed this in the CloudTrail data events for S3."},
      {"EKS", "GuardDuty observed this in the cluster's Kubernetes audit logs."},
      {"Runtime", "GuardDuty's runtime agent observed this on the host or container."},
      {"Malware", "GuardDuty Malware Protection found this when scanning the resource."}};
  std::string description =
      title + " " + kWhy.at(spec->family) + " This is a sample finding generated by riposte.";

  json::object service{{"serviceName", "guardduty"},
                       {"detectorId", w.detector_id},
                       {"archived", false},
                       {"count", count},
                       {"eventFirstSeen", iso(first_seen)},
                       {"eventLastSeen", iso(last_seen)},
                       {"resourceRole", spec->act == Act::kNetOut || spec->act == Act::kDns ||
                                                std::string_view(spec->family) == "Runtime"
                                            ? "ACTOR"
                                            : "TARGET"},
                       {"featureName", featureName(*spec)},
                       {"additionalInfo", json::object{{"sample", true}, {"type", "default"}}}};
  if (auto a = actionFor(*spec, w, fr); !a.empty()) service["action"] = std::move(a);
  if (std::string list = threatListFor(spec->type); !list.empty()) {
    service["evidence"] = json::object{
        {"threatIntelligenceDetails",
         json::array{json::object{{"threatListName", list},
                                  {"threatNames", json::array{json::value(spec->type)}}}}}};
  }
  if (std::string_view(spec->family) == "Runtime") {
    service["runtimeDetails"] = runtimeDetails(*spec, first_seen, fr);
  }
  if (std::string_view(spec->family) == "Malware") {
    if (spec->res == Res::kS3Object) {
      service["malwareScanDetails"] = json::object{
          {"threats", json::array{json::object{{"name", "EICAR-Test-File (not a virus)"}}}}};
    } else {
      bool suspicious = std::string_view(spec->type).find("Suspicious") != std::string_view::npos;
      service["ebsVolumeScanDetails"] = ebsScanDetails(w, id, o.now_ms, suspicious, fr);
    }
  }

  std::string arn = "arn:" + w.partition + ":guardduty:" + w.region + ":" + w.account +
                    ":detector/" + w.detector_id + "/finding/" + id;
  json::object f{{"schemaVersion", "2.0"},
                 {"accountId", w.account},
                 {"region", w.region},
                 {"partition", w.partition},
                 {"id", id},
                 {"arn", arn},
                 {"type", spec->type},
                 {"resource", resourceFor(*spec, w, o.now_ms, "running")},
                 {"service", std::move(service)},
                 {"severity", severity},
                 {"createdAt", iso(created)},
                 {"updatedAt", iso(updated)},
                 {"title", title},
                 {"description", description}};
  return f;
}

json::object sampleEvent(const json::object& finding) {
  json::value f = finding;
  std::string fid = stringAt(f, "id").value_or("");
  std::string updated = stringAt(f, "updatedAt").value_or("");
  Rng r(fnv1a(fid + "@" + updated));
  std::string h = r.hex(32);
  std::string id = h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-a" +
                   h.substr(17, 3) + "-" + h.substr(20, 12);
  std::string time = updated.size() >= 19 ? updated.substr(0, 19) + "Z" : updated;
  return json::object{{"version", "0"},
                      {"id", id},
                      {"detail-type", "GuardDuty Finding"},
                      {"source", "aws.guardduty"},
                      {"account", stringAt(f, "accountId").value_or("")},
                      {"time", time},
                      {"region", stringAt(f, "region").value_or("")},
                      {"resources", json::array{}},
                      {"detail", finding}};
}

namespace {

std::string asffNamespace(const std::string& type) {
  std::string purpose = type.substr(0, type.find(':'));
  static const std::map<std::string, std::string> kMap = {
      {"Backdoor", "TTPs/Command and Control"},
      {"Behavior", "Unusual Behaviors/Network Flow"},
      {"CredentialAccess", "TTPs/Credential Access"},
      {"CryptoCurrency", "Effects/Resource Consumption"},
      {"DefenseEvasion", "TTPs/Defense Evasion"},
      {"Discovery", "TTPs/Discovery"},
      {"Execution", "TTPs/Execution"},
      {"Exfiltration", "Effects/Data Exfiltration"},
      {"Impact", "Effects/Resource Consumption"},
      {"InitialAccess", "TTPs/Initial Access"},
      {"Object", "TTPs/Execution"},
      {"PenTest", "TTPs/Discovery"},
      {"Persistence", "TTPs/Persistence"},
      {"Policy", "Software and Configuration Checks/AWS Security Best Practices"},
      {"PrivilegeEscalation", "TTPs/Privilege Escalation"},
      {"Recon", "TTPs/Discovery"},
      {"Stealth", "TTPs/Defense Evasion"},
      {"Trojan", "TTPs/Command and Control"},
      {"UnauthorizedAccess", "TTPs/Initial Access"}};
  auto it = kMap.find(purpose);
  return it == kMap.end() ? "Unusual Behaviors" : it->second;
}

std::string severityLabel(double s) {
  if (s >= 9) return "CRITICAL";
  if (s >= 7) return "HIGH";
  if (s >= 4) return "MEDIUM";
  if (s >= 1) return "LOW";
  return "INFORMATIONAL";
}

std::string str(const json::value& v, std::string_view path) {
  return stringAt(v, path).value_or("");
}

json::array asffResources(const json::value& f) {
  const std::string account = str(f, "accountId"), region = str(f, "region"),
                    partition = str(f, "partition").empty() ? "aws" : str(f, "partition");
  const std::string rtype = str(f, "resource.resourceType");
  const json::value& res = *findPath(f, "resource");
  json::array out;
  auto base = [&](const std::string& type, const std::string& id) {
    return json::object{{"Type", type}, {"Id", id}, {"Partition", partition}, {"Region", region}};
  };
  if (rtype == "Instance" || rtype == "Container") {
    const std::string iid = str(res, "instanceDetails.instanceId");
    json::object r = base("AwsEc2Instance", "arn:" + partition + ":ec2:" + region + ":" + account +
                                                ":instance/" + iid);
    json::object d{{"Type", str(res, "instanceDetails.instanceType")},
                   {"ImageId", str(res, "instanceDetails.imageId")},
                   {"LaunchedAt", str(res, "instanceDetails.launchTime")}};
    if (const auto* n = findPath(res, "instanceDetails.networkInterfaces");
        n && n->is_array() && !n->get_array().empty()) {
      const auto& eni = n->get_array()[0];
      d["IpV4Addresses"] =
          json::array{json::value(str(eni, "privateIpAddress")), json::value(str(eni, "publicIp"))};
      d["VpcId"] = str(eni, "vpcId");
      d["SubnetId"] = str(eni, "subnetId");
    }
    r["Details"] = json::object{{"AwsEc2Instance", std::move(d)}};
    if (const auto* t = findPath(res, "instanceDetails.tags"); t && t->is_array()) {
      json::object tags;
      for (const auto& kv : t->get_array()) tags[str(kv, "key")] = str(kv, "value");
      r["Tags"] = std::move(tags);
    }
    out.push_back(std::move(r));
    if (rtype == "Container") {
      json::object c = base("Container", str(res, "containerDetails.id"));
      c["Details"] = json::object{
          {"Container", json::object{{"Name", str(res, "containerDetails.name")},
                                     {"ImageName", str(res, "containerDetails.image")}}}};
      out.push_back(std::move(c));
    }
  } else if (rtype == "AccessKey") {
    json::object r = base("AwsIamAccessKey", str(res, "accessKeyDetails.accessKeyId"));
    r["Details"] = json::object{
        {"AwsIamAccessKey", json::object{{"PrincipalId", str(res, "accessKeyDetails.principalId")},
                                         {"PrincipalName", str(res, "accessKeyDetails.userName")},
                                         {"PrincipalType", str(res, "accessKeyDetails.userType")},
                                         {"Status", "Active"}}}};
    out.push_back(std::move(r));
  } else if (rtype == "S3Bucket" || rtype == "S3Object") {
    if (const auto* bs = findPath(res, "s3BucketDetails"); bs && bs->is_array()) {
      for (const auto& b : bs->get_array()) {
        json::object r = base("AwsS3Bucket", str(b, "arn"));
        r["Details"] =
            json::object{{"AwsS3Bucket", json::object{{"OwnerId", str(b, "owner.id")},
                                                      {"CreatedAt", str(b, "createdAt")}}}};
        out.push_back(std::move(r));
        if (const auto* os = findPath(b, "s3ObjectDetails"); os && os->is_array()) {
          for (const auto& obj : os->get_array()) {
            json::object o = base("AwsS3Object", str(obj, "objectArn"));
            o["Details"] =
                json::object{{"AwsS3Object", json::object{{"ETag", str(obj, "eTag")},
                                                          {"VersionId", str(obj, "versionId")}}}};
            out.push_back(std::move(o));
          }
        }
      }
    }
    if (findPath(res, "accessKeyDetails")) {
      out.push_back(base("AwsIamAccessKey", str(res, "accessKeyDetails.accessKeyId")));
    }
  } else if (rtype == "EKSCluster") {
    json::object r = base("AwsEksCluster", str(res, "eksClusterDetails.arn"));
    r["Details"] = json::object{
        {"AwsEksCluster", json::object{{"Name", str(res, "eksClusterDetails.name")},
                                       {"Arn", str(res, "eksClusterDetails.arn")},
                                       {"Status", str(res, "eksClusterDetails.status")}}}};
    out.push_back(std::move(r));
  } else if (rtype == "ECSCluster") {
    json::object r = base("AwsEcsCluster", str(res, "ecsClusterDetails.arn"));
    r["Details"] = json::object{
        {"AwsEcsCluster", json::object{{"ClusterName", str(res, "ecsClusterDetails.name")},
                                       {"ClusterArn", str(res, "ecsClusterDetails.arn")},
                                       {"Status", str(res, "ecsClusterDetails.status")}}}};
    out.push_back(std::move(r));
  } else {
    out.push_back(base("Other", str(f, "arn")));
  }
  return out;
}

}  // namespace

json::object toAsff(const json::object& finding) {
  json::value f = finding;
  const std::string type = str(f, "type");
  const std::string account = str(f, "accountId"), region = str(f, "region");
  const std::string partition = str(f, "partition").empty() ? "aws" : str(f, "partition");
  const double sev = numberAt(f, "severity").value_or(0);
  std::string asff_type = asffNamespace(type) + "/" + replaceAll(type, "/", "-");
  char original[16];
  std::snprintf(original, sizeof original, "%g", sev);
  json::object severity{{"Label", severityLabel(sev)},
                        {"Normalized", static_cast<int>(sev * 10 + 0.5)},
                        {"Original", original},
                        {"Product", sev}};
  json::object a{
      {"SchemaVersion", "2018-10-08"},
      {"Id", str(f, "arn")},
      {"ProductArn", "arn:" + partition + ":securityhub:" + region + "::product/aws/guardduty"},
      {"ProductName", "GuardDuty"},
      {"CompanyName", "Amazon"},
      {"Region", region},
      {"GeneratorId", "arn:" + partition + ":guardduty:" + region + ":" + account + ":detector/" +
                          str(f, "service.detectorId")},
      {"AwsAccountId", account},
      {"Types", json::array{json::value(asff_type)}},
      {"FirstObservedAt", str(f, "service.eventFirstSeen")},
      {"LastObservedAt", str(f, "service.eventLastSeen")},
      {"CreatedAt", str(f, "createdAt")},
      {"UpdatedAt", str(f, "updatedAt")},
      {"Severity", severity},
      {"Title", str(f, "title")},
      {"Description", str(f, "description")},
      {"ProductFields",
       json::object{
           {"aws/guardduty/service/archived", "false"},
           {"aws/guardduty/service/count",
            std::to_string(static_cast<int64_t>(numberAt(f, "service.count").value_or(1)))},
           {"aws/guardduty/service/detectorId", str(f, "service.detectorId")},
           {"aws/guardduty/service/resourceRole", str(f, "service.resourceRole")},
           {"aws/guardduty/service/action/actionType", str(f, "service.action.actionType")},
           {"aws/securityhub/FindingId", "arn:" + partition + ":securityhub:" + region +
                                             "::product/aws/guardduty/" + str(f, "arn")},
           {"aws/securityhub/ProductName", "GuardDuty"},
           {"aws/securityhub/CompanyName", "Amazon"}}},
      {"FindingProviderFields",
       json::object{{"Severity", json::object{{"Label", severity.at("Label")},
                                              {"Original", severity.at("Original")}}},
                    {"Types", json::array{json::value(asff_type)}}}},
      {"Resources", asffResources(f)},
      {"WorkflowState", "NEW"},
      {"Workflow", json::object{{"Status", "NEW"}}},
      {"RecordState", "ACTIVE"},
      {"Sample", true}};
  if (const auto* n = findPath(f, "service.action.networkConnectionAction"); n) {
    bool in = str(*n, "connectionDirection") == "INBOUND";
    const std::string local = str(*n, "localIpDetails.ipAddressV4");
    const std::string remote = str(*n, "remoteIpDetails.ipAddressV4");
    auto port = [&](const char* p) { return static_cast<int64_t>(numberAt(*n, p).value_or(0)); };
    a["Network"] = json::object{
        {"Direction", in ? "IN" : "OUT"},
        {"Protocol", str(*n, "protocol")},
        {"SourceIpV4", in ? remote : local},
        {"SourcePort", in ? port("remotePortDetails.port") : port("localPortDetails.port")},
        {"DestinationIpV4", in ? local : remote},
        {"DestinationPort", in ? port("localPortDetails.port") : port("remotePortDetails.port")}};
  } else if (const auto* d = findPath(f, "service.action.dnsRequestAction"); d) {
    a["Network"] = json::object{{"Direction", "OUT"},
                                {"Protocol", str(*d, "protocol")},
                                {"DestinationDomain", str(*d, "domain")}};
  }
  return a;
}

bool isAsffFinding(const json::object& v) {
  return v.contains("SchemaVersion") && v.contains("ProductArn") && v.contains("AwsAccountId") &&
         v.contains("Types");
}

json::object wrapAsffFindings(const json::array& findings, const std::string& event_id,
                              const std::string& time_iso) {
  std::string account, region;
  json::array resources;
  if (!findings.empty() && findings[0].is_object()) {
    const json::value& f = findings[0];
    account = stringAt(f, "AwsAccountId").value_or("");
    region = stringAt(f, "Region").value_or("");
  }
  for (const auto& f : findings) {
    if (auto id = stringAt(f, "ProductFields.aws/securityhub/FindingId"))
      resources.push_back(json::value(*id));
  }
  return json::object{{"version", "0"},
                      {"id", event_id},
                      {"detail-type", "Security Hub Findings - Imported"},
                      {"source", "aws.securityhub"},
                      {"account", account},
                      {"time", time_iso},
                      {"region", region},
                      {"resources", std::move(resources)},
                      {"detail", json::object{{"findings", findings}}}};
}

}  // namespace riposte::sources
