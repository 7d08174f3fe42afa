// The SDK output shapes of the Query operations riposte's playbooks use (see sdk_shapes.h).
//
// The table lists, per structure, only what the wire does not say by itself: members whose
// value is not a string (int, long, bool, double), structures ({} or {Shape}) and lists ([] or
// [Shape]) — so that an empty element becomes {} or [] and not "" — and members whose wire
// element is not named after them ("SecurityGroups=groupSet"). Every other member is a string
// named like its wire element (EC2: "privateDnsName" → "PrivateDnsName"; IAM, SNS, STS: the
// same name). A wire element the table does not know (a member AWS added later) keeps the
// heuristic shape, so nothing is dropped. Written from the EC2, IAM, SNS and STS API
// references; timestamps stay ISO 8601 strings.
#include "actions/sdk_shapes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

namespace riposte::actions {
namespace {

// Member: Name[=wire][:type]; type is int | long | bool | double | {} | {Shape} | [] | [Shape].
// A structure's name is "<service>:<Operation>" for an operation's output.
struct ShapeText {
  std::string_view name, members;
};

constexpr ShapeText kShapes[] = {
    // ---- EC2: DescribeInstances
    {"ec2:DescribeInstances", "Reservations=reservationSet:[Reservation]"},
    {"Reservation", "Groups=groupSet:[] Instances=instancesSet:[Instance]"},
    {"Instance",
     "AmiLaunchIndex:int BlockDeviceMappings=blockDeviceMapping:[InstanceBlockDeviceMapping] "
     "CapacityReservationSpecification:{CapacityReservationSpecification} "
     "CpuOptions:{CpuOptions} EbsOptimized:bool "
     "ElasticGpuAssociations=elasticGpuAssociationSet:[] "
     "ElasticInferenceAcceleratorAssociations=elasticInferenceAcceleratorAssociationSet:[] "
     "EnaSupport:bool EnclaveOptions:{EnclaveOptions} HibernationOptions:{HibernationOptions} "
     "IamInstanceProfile:{} Licenses=licenseSet:[] MaintenanceOptions:{} "
     "MetadataOptions:{InstanceMetadataOptions} Monitoring:{} "
     "NetworkInterfaces=networkInterfaceSet:[InstanceNetworkInterface] "
     "NetworkPerformanceOptions:{} Operator:{Operator} Placement:{Placement} "
     "PrivateDnsNameOptions:{PrivateDnsNameOptions} ProductCodes:[] PublicDnsName=dnsName "
     "PublicIpAddress=ipAddress SecurityGroups=groupSet:[] SourceDestCheck:bool "
     "State=instanceState:{InstanceState} StateReason:{} StateTransitionReason=reason "
     "Tags=tagSet:[]"},
    {"InstanceBlockDeviceMapping", "Ebs:{EbsInstanceBlockDevice}"},
    {"EbsInstanceBlockDevice", "DeleteOnTermination:bool Operator:{Operator}"},
    {"CapacityReservationSpecification", "CapacityReservationTarget:{}"},
    {"CpuOptions", "CoreCount:int ThreadsPerCore:int"},
    {"EnclaveOptions", "Enabled:bool"},
    {"HibernationOptions", "Configured:bool"},
    {"InstanceMetadataOptions", "HttpPutResponseHopLimit:int"},
    {"InstanceState", "Code:int"},
    {"Operator", "Managed:bool"},
    {"Placement", "PartitionNumber:int"},
    {"PrivateDnsNameOptions",
     "EnableResourceNameDnsARecord:bool EnableResourceNameDnsAAAARecord:bool"},
    {"InstanceNetworkInterface",
     "Association:{} Attachment:{InstanceNetworkInterfaceAttachment} "
     "ConnectionTrackingConfiguration:{ConnectionTrackingConfiguration} Groups=groupSet:[] "
     "Ipv4Prefixes=ipv4PrefixSet:[] Ipv6Addresses=ipv6AddressesSet:[InstanceIpv6Address] "
     "Ipv6Prefixes=ipv6PrefixSet:[] Operator:{Operator} "
     "PrivateIpAddresses=privateIpAddressesSet:[InstancePrivateIpAddress] SourceDestCheck:bool"},
    {"InstanceNetworkInterfaceAttachment",
     "DeleteOnTermination:bool DeviceIndex:int NetworkCardIndex:int "
     "EnaSrdSpecification:{EnaSrdSpecification}"},
    {"EnaSrdSpecification", "EnaSrdEnabled:bool EnaSrdUdpSpecification:{EnaSrdUdpSpecification}"},
    {"EnaSrdUdpSpecification", "EnaSrdUdpEnabled:bool"},
    {"ConnectionTrackingConfiguration",
     "TcpEstablishedTimeout:int UdpStreamTimeout:int UdpTimeout:int"},
    {"InstanceIpv6Address", "IsPrimaryIpv6:bool"},
    {"InstancePrivateIpAddress", "Association:{} Primary:bool"},

    // ---- EC2: DescribeSecurityGroups
    {"ec2:DescribeSecurityGroups", "SecurityGroups=securityGroupInfo:[SecurityGroup]"},
    {"SecurityGroup",
     "Description=groupDescription IpPermissions:[IpPermission] "
     "IpPermissionsEgress:[IpPermission] Tags=tagSet:[]"},
    {"IpPermission",
     "FromPort:int ToPort:int IpRanges:[] Ipv6Ranges:[] PrefixListIds:[] "
     "UserIdGroupPairs=groups:[]"},

    // ---- EC2: DescribeNetworkAcls
    {"ec2:DescribeNetworkAcls", "NetworkAcls=networkAclSet:[NetworkAcl]"},
    {"NetworkAcl",
     "Associations=associationSet:[] Entries=entrySet:[NetworkAclEntry] IsDefault=default:bool "
     "Tags=tagSet:[]"},
    {"NetworkAclEntry",
     "Egress:bool IcmpTypeCode:{IcmpTypeCode} PortRange:{PortRange} "
     "RuleNumber:int"},
    {"IcmpTypeCode", "Code:int Type:int"},
    {"PortRange", "From:int To:int"},

    // ---- EC2: DescribeVolumes, CreateSnapshot
    {"ec2:DescribeVolumes", "Volumes=volumeSet:[Volume]"},
    {"Volume",
     "Attachments=attachmentSet:[VolumeAttachment] Encrypted:bool FastRestored:bool Iops:int "
     "MultiAttachEnabled:bool Operator:{Operator} Size:int State=status Tags=tagSet:[] "
     "Throughput:int VolumeInitializationRate:int"},
    {"VolumeAttachment", "DeleteOnTermination:bool State=status"},
    {"ec2:CreateSnapshot",
     "CompletionDurationMinutes:int Encrypted:bool FullSnapshotSizeInBytes:long "
     "Operator:{Operator} State=status StateMessage=statusMessage Tags=tagSet:[] VolumeSize:int"},

    // ---- IAM, SNS, STS (wire elements are named like the members)
    {"iam:GetUser", "User:{User}"},
    {"User", "PermissionsBoundary:{} Tags:[]"},
    {"iam:ListAccessKeys", "AccessKeyMetadata:[] IsTruncated:bool"},
    {"iam:UpdateAccessKey", ""},
    {"sns:Publish", ""},            // MessageId, SequenceNumber
    {"sts:GetCallerIdentity", ""},  // UserId, Account, Arn
};

enum class Kind { String, Int, Double, Bool, Struct, List };

struct Shape;
struct Member {
  std::string name, wire;  // wire "" = the default for the service
  Kind kind = Kind::String;
  Kind elem = Kind::Struct;      // List: the kind of its elements
  std::string shape_name;        // Struct / list of Struct: "" = no typed members
  const Shape* shape = nullptr;  // resolved from shape_name
};
struct Shape {
  std::vector<Member> members;
};

Kind kindOf(std::string_view t) {
  if (t == "int" || t == "long") return Kind::Int;
  if (t == "double") return Kind::Double;
  if (t == "bool") return Kind::Bool;
  return Kind::String;
}

Member parseMember(std::string_view spec) {
  Member m;
  std::string_view type;
  if (auto colon = spec.find(':'); colon != std::string_view::npos) {
    type = spec.substr(colon + 1);
    spec = spec.substr(0, colon);
  }
  if (auto eq = spec.find('='); eq != std::string_view::npos) {
    m.wire = std::string(spec.substr(eq + 1));
    spec = spec.substr(0, eq);
  }
  m.name = std::string(spec);
  if (!type.empty() && (type.front() == '{' || type.front() == '[')) {
    m.kind = type.front() == '{' ? Kind::Struct : Kind::List;
    std::string_view inner = type.substr(1, type.size() - 2);
    if (m.kind == Kind::List &&
        (inner == "int" || inner == "long" || inner == "double" || inner == "bool")) {
      m.elem = kindOf(inner);
    } else {
      m.shape_name = std::string(inner);
    }
  } else if (!type.empty()) {
    m.kind = kindOf(type);
  }
  return m;
}

using Table = std::map<std::string, Shape, std::less<>>;

const Table& table() {
  static const Table t = [] {
    Table out;
    for (const auto& s : kShapes) {
      Shape& shape = out[std::string(s.name)];
      std::string_view rest = s.members;
      while (!rest.empty()) {
        auto sp = rest.find(' ');
        std::string_view tok = rest.substr(0, sp);
        rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
        if (!tok.empty()) shape.members.push_back(parseMember(tok));
      }
    }
    for (auto& [_, shape] : out) {
      for (auto& m : shape.members) {
        if (m.shape_name.empty()) continue;
        auto it = out.find(m.shape_name);
        if (it != out.end()) m.shape = &it->second;  // (a typo would leave it untyped)
      }
    }
    return out;
  }();
  return t;
}

// ---- the heuristic shape (operations without a table entry, and unknown members)

std::string capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// EC2 response element names → SDK-style member names, without knowing the operation.
std::string ec2Key(const std::string& k) {
  static const std::map<std::string, std::string> kMap = {
      {"securityGroupInfo", "SecurityGroups"},
      {"instanceState", "State"},
      {"blockDeviceMapping", "BlockDeviceMappings"},
      {"return", "Return"},
      {"entrySet", "Entries"},
      {"requestId", "RequestId"}};
  if (auto it = kMap.find(k); it != kMap.end()) return it->second;
  if (k.size() > 3 && k.substr(k.size() - 3) == "Set") {
    std::string base = capitalize(k.substr(0, k.size() - 3));
    if (base.back() == 'y') return base.substr(0, base.size() - 1) + "ies";
    if (base.back() != 's') base += 's';
    return base;
  }
  return capitalize(k);
}

std::string heuristicKey(const std::string& service, const std::string& k) {
  return service == "ec2" ? ec2Key(k) : k;
}

json::value heuristic(const std::string& service, const json::value& v) {
  if (v.is_object()) {
    json::object o;
    for (const auto& kv : v.as_object()) {
      const std::string k(kv.key());
      o[heuristicKey(service, k)] = heuristic(service, kv.value());
    }
    return o;
  }
  if (v.is_array()) {
    json::array a;
    for (const auto& x : v.as_array()) a.push_back(heuristic(service, x));
    return a;
  }
  return v;
}

// ---- the exact shape

std::string wireName(const std::string& service, const Member& m) {
  if (!m.wire.empty()) return m.wire;
  if (service != "ec2") return m.name;
  std::string w = m.name;
  if (!w.empty()) w[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(w[0])));
  return w;
}

json::value scalar(const json::value& v, Kind kind) {
  if (!v.is_string()) return v;
  const std::string_view s = v.as_string();
  switch (kind) {
    case Kind::Int: {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec == std::errc() && p == s.data() + s.size()) return n;
      return s.empty() ? json::value(nullptr) : v;
    }
    case Kind::Double: {
      auto d = parseJson(s);
      if (d && d->is_number()) return *d;
      return s.empty() ? json::value(nullptr) : v;
    }
    case Kind::Bool:
      if (s == "true") return true;
      if (s == "false") return false;
      return s.empty() ? json::value(nullptr) : v;
    default:
      return v;
  }
}

json::value convert(const std::string& service, const json::value& v, const Member& m);

json::value convertStruct(const std::string& service, const json::value& v, const Shape* shape) {
  if (v.is_string() && v.as_string().empty()) return json::object();  // <association/>
  if (!v.is_object()) return heuristic(service, v);
  json::object out;
  for (const auto& kv : v.as_object()) {
    const std::string wire(kv.key());
    const Member* m = nullptr;
    if (shape) {
      for (const auto& c : shape->members) {
        if (wireName(service, c) == wire) {
          m = &c;
          break;
        }
      }
    }
    if (!m) {
      out[heuristicKey(service, wire)] = heuristic(service, kv.value());
      continue;
    }
    json::value x = convert(service, kv.value(), *m);
    if (!x.is_null()) out[m->name] = std::move(x);
  }
  return out;
}

json::value convert(const std::string& service, const json::value& v, const Member& m) {
  switch (m.kind) {
    case Kind::Struct:
      return convertStruct(service, v, m.shape);
    case Kind::List: {
      json::array out;
      auto one = [&](const json::value& e) {
        if (m.shape || !m.shape_name.empty() || m.elem == Kind::Struct) {
          out.push_back(m.shape ? convertStruct(service, e, m.shape) : heuristic(service, e));
        } else {
          out.push_back(scalar(e, m.elem));
        }
      };
      if (v.is_array()) {
        for (const auto& e : v.as_array()) one(e);
      } else if (!(v.is_string() && v.as_string().empty())) {
        one(v);  // a list the wire did not mark as one
      }
      return out;
    }
    case Kind::String:
      return v.is_string() ? v : heuristic(service, v);
    default:
      return scalar(v, m.kind);
  }
}

// IAM, SNS, STS wrap the output in <Operation>Result; EC2 does not.
const json::value* outputOf(const std::string& service, const std::string& operation,
                            const json::value& wire) {
  if (service == "ec2" || !wire.is_object()) return &wire;
  return wire.as_object().if_contains(operation + "Result");
}

json::value dropMetadata(json::value v) {
  if (v.is_object()) {
    v.as_object().erase("RequestId");
    v.as_object().erase("ResponseMetadata");
  }
  return v;
}

}  // namespace

bool hasExactShape(const std::string& service, const std::string& operation) {
  return table().count(service + ":" + operation) > 0;
}

std::vector<std::string> exactShapeOperations() {
  std::vector<std::string> out;
  for (const auto& [name, _] : table())
    if (name.find(':') != std::string::npos) out.push_back(name);
  return out;  // std::map: sorted
}

json::value sdkOutput(const std::string& service, const std::string& operation,
                      const json::value& wire) {
  const json::value* body = outputOf(service, operation, wire);
  auto it = table().find(service + ":" + operation);
  if (it == table().end()) {
    json::value b = body ? *body : wire;
    if (b.is_string() && b.as_string().empty()) b = json::object();
    return dropMetadata(heuristic(service, b));
  }
  if (!body) return json::object();  // an operation without output members (UpdateAccessKey)
  json::value out = convertStruct(service, *body, &it->second);
  if (service == "ec2" && out.is_object()) out.as_object().erase("RequestId");
  return dropMetadata(std::move(out));
}

}  // namespace riposte::actions
