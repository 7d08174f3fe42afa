#pragma once
// Generated benchmark workloads: CityLots-style GeoJSON features (~850 bytes), realistic
// GuardDuty findings (3-5 KB) and rule sets for each. Deterministic (fixed seeds).

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace riposte::pattern::bench {

inline const std::vector<std::string> kStreets = {
    "HYDE",       "JEFFERSON", "BEACH",   "NORTH POINT", "LEAVENWORTH", "JONES",
    "TAYLOR",     "MASON",     "POWELL",  "STOCKTON",    "GRANT",       "KEARNY",
    "MONTGOMERY", "SANSOME",   "BATTERY", "FRONT",       "DAVIS",       "DRUMM",
    "CRANLEIGH",  "ACADIA",    "FULTON",  "MARKET",      "MISSION",     "VALENCIA"};

inline std::string fmtNum(double v) {
  char b[32];
  snprintf(b, sizeof b, "%.6f", v);
  return b;
}

inline std::vector<std::string> cityLots(std::size_t n, uint32_t seed = 42) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> st(0, static_cast<int>(kStreets.size()) - 1);
  std::uniform_real_distribution<double> dx(-0.05, 0.05);
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    char blk[8], lot[8];
    snprintf(blk, sizeof blk, "%04d", static_cast<int>(rng() % 9999));
    snprintf(lot, sizeof lot, "%03d", static_cast<int>(rng() % 999));
    int from = static_cast<int>(rng() % 3000);
    double x = -122.42 + dx(rng), y = 37.78 + dx(rng);
    std::string e = R"({"type":"Feature","properties":{"MAPBLKLOT":")" + std::string(blk) + lot +
                    R"(","BLKLOT":")" + blk + lot + R"(","BLOCK_NUM":")" + blk +
                    R"(","LOT_NUM":")" + lot + R"(","FROM_ST":")" + std::to_string(from) +
                    R"(","TO_ST":")" + std::to_string(from + 98) + R"(","STREET":")" +
                    kStreets[st(rng)] + R"(","ST_TYPE":)" + (rng() % 4 ? "\"ST\"" : "null") +
                    R"(,"ODD_EVEN":")" + (from % 2 ? "O" : "E") +
                    R"(","CITY":"SAN FRANCISCO","ZONE":"RH-)" + std::to_string(rng() % 4) +
                    R"(","SOURCE_IP":"10.)" + std::to_string(rng() % 4) + "." +
                    std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) +
                    R"("},"geometry":{"type":"Polygon","firstCoordinates":{"x":)" + fmtNum(x) +
                    R"(,"y":)" + fmtNum(y) + R"(,"z":0},"coordinates":[[)";
    for (int k = 0; k < 5; ++k) {
      e += (k ? "," : "") + std::string("[") + fmtNum(x + k * 1e-4) + "," + fmtNum(y - k * 1e-4) +
           ",0]";
    }
    e += R"(]],"ring":[)";
    for (int k = 0; k < 4; ++k) {
      e += (k ? "," : "") + std::string(R"({"x":)") + fmtNum(x + k * 2e-4) + R"(,"y":)" +
           fmtNum(y + k * 2e-4) + R"(,"kind":")" + (k % 2 ? "corner" : "edge") + "\"}";
    }
    e += "]}}";
    out.push_back(std::move(e));
  }
  return out;
}

// Five rules of one operator on the CityLots events.
inline std::vector<std::string> cityLotsRules(const std::string& op) {
  std::vector<std::string> r;
  auto street = [&](const std::string& m) {
    r.push_back(R"({"properties":{"STREET":[)" + m + "]}}");
  };
  if (op == "exact") {
    for (const char* s : {"CRANLEIGH", "ACADIA", "HYDE", "MASON", "NOWHERE"})
      street("\"" + std::string(s) + "\"");
  } else if (op == "prefix") {
    for (const char* s : {"CRAN", "AC", "HY", "MAS", "NOW"})
      street(R"({"prefix":")" + std::string(s) + "\"}");
  } else if (op == "suffix") {
    for (const char* s : {"LEIGH", "DIA", "YDE", "SON", "HERE"})
      street(R"({"suffix":")" + std::string(s) + "\"}");
  } else if (op == "equals-ignore-case") {
    for (const char* s : {"cranleigh", "Acadia", "hyde", "mAsOn", "nowhere"})
      street(R"({"equals-ignore-case":")" + std::string(s) + "\"}");
  } else if (op == "wildcard") {
    for (const char* s : {"C*H", "*CAD*", "H*E", "*SO*", "N*W*E"})
      street(R"({"wildcard":")" + std::string(s) + "\"}");
  } else if (op == "anything-but") {
    for (const char* s : {"CRANLEIGH", "ACADIA", "HYDE", "MASON", "NOWHERE"})
      street(R"({"anything-but":[")" + std::string(s) + R"(","FULTON"]})");
  } else if (op == "numeric") {
    for (double lo : {-122.46, -122.44, -122.42, -122.40, -122.38})
      r.push_back(R"({"geometry":{"firstCoordinates":{"x":[{"numeric":[">",)" + fmtNum(lo) +
                  R"(,"<=",)" + fmtNum(lo + 0.01) + "]}]}}}");
  } else if (op == "exists") {
    for (const char* f : {"ST_TYPE", "ZONE", "MISSING", "CITY", "LOT_NUM"})
      r.push_back(R"({"properties":{")" + std::string(f) + R"(":[{"exists":true}]}})");
  } else if (op == "cidr") {
    for (const char* c :
         {"10.0.0.0/24", "10.1.0.0/16", "10.2.128.0/17", "10.3.3.0/30", "192.168.0.0/16"})
      r.push_back(R"({"properties":{"SOURCE_IP":[{"cidr":")" + std::string(c) + "\"}]}}");
  } else if (op == "complex-array") {
    // Fields of one array element must match together (array consistency).
    for (double lo : {-122.46, -122.44, -122.42, -122.40, -122.38})
      r.push_back(
          R"({"geometry":{"type":["Polygon"],"ring":{"kind":["corner"],"x":[{"numeric":[">",)" +
          fmtNum(lo) + R"(,"<",)" + fmtNum(lo + 0.02) + R"(]}],"y":[{"numeric":[">",37.7]}]}}})");
  }
  return r;
}

// GuardDuty findings as EventBridge events (3-5 KB).
inline std::vector<std::string> guardDutyFindings(std::size_t n, uint32_t seed = 7) {
  static const char* kTypes[] = {
      "UnauthorizedAccess:EC2/SSHBruteForce",
      "Recon:EC2/PortProbeUnprotectedPort",
      "CryptoCurrency:EC2/BitcoinTool.B!DNS",
      "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
      "Trojan:EC2/DNSDataExfiltration",
      "Backdoor:EC2/C&CActivity.B",
      "Policy:IAMUser/RootCredentialUsage",
      "Discovery:S3/MaliciousIPCaller"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string account = std::to_string(100000000000ULL + rng() % 900000000ULL);
    char inst[32];
    snprintf(inst, sizeof inst, "i-%08x%08x", static_cast<unsigned>(rng()),
             static_cast<unsigned>(rng() & 0x1ff));
    std::string type = kTypes[rng() % 8];
    double sev = 1 + (rng() % 80) / 10.0;
    std::string ip = std::to_string(rng() % 223 + 1) + "." + std::to_string(rng() % 256) + "." +
                     std::to_string(rng() % 256) + "." + std::to_string(rng() % 256);
    std::string e =
        R"({"version":"0","id":"c8c4daa7-a20c-2f03-0070-b7393dd542ad","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":")" +
        account +
        R"(","time":"2026-11-23T09:00:00Z","region":"us-east-1","resources":[],"detail":{"schemaVersion":"2.0","accountId":")" +
        account +
        R"(","region":"us-east-1","partition":"aws","id":"16afba5c5c43e07c9e3e5e2e544e95df","arn":"arn:aws:guardduty:us-east-1:)" +
        account + R"(:detector/123456/finding/16afba5c5c43e07c9e3e5e2e544e95df","type":")" + type +
        R"(","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":")" + inst +
        R"(","instanceType":"m5.large","outpostArn":null,"launchTime":"2026-11-01T08:00:00.000Z","platform":null,"productCodes":[{"productCodeId":"abc","productCodeType":"marketplace"}],"iamInstanceProfile":{"arn":"arn:aws:iam::)" +
        account +
        R"(:instance-profile/web","id":"AIPAJ6EXAMPLE"},"networkInterfaces":[{"ipv6Addresses":[],"networkInterfaceId":"eni-0a1b2c3d4e5f","privateDnsName":"ip-10-0-0-12.ec2.internal","privateIpAddress":"10.0.0.12","privateIpAddresses":[{"privateDnsName":"ip-10-0-0-12.ec2.internal","privateIpAddress":"10.0.0.12"}],"publicDnsName":"ec2-54-0-0-1.compute-1.amazonaws.com","publicIp":"54.0.0.1","securityGroups":[{"groupId":"sg-0a1b2c3d","groupName":"web"},{"groupId":"sg-0e0f1a2b","groupName":"ssh"}],"subnetId":"subnet-0a1b2c3d","vpcId":"vpc-0a1b2c3d"}],"tags":[{"key":"Name","value":"web-)" +
        std::to_string(i % 50) + R"("},{"key":"env","value":")" + (i % 3 ? "prod" : "dev") +
        R"("},{"key":"owner","value":"platform-team"}],"instanceState":"running","availabilityZone":"us-east-1a","imageId":"ami-0abcdef1234567890","imageDescription":"Amazon Linux 2 AMI 2.0.20261101.0 x86_64 HVM gp2"}},"service":{"serviceName":"guardduty","detectorId":"123456","action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":"INBOUND","remoteIpDetails":{"ipAddressV4":")" +
        ip +
        R"(","organization":{"asn":"12345","asnOrg":"Example Hosting","isp":"Example ISP","org":"Example Org"},"country":{"countryName":"Exampleland","countryCode":"EX"},"city":{"cityName":"Example City"},"geoLocation":{"lat":12.34,"lon":56.78}},"remotePortDetails":{"port":)" +
        std::to_string(1024 + rng() % 60000) +
        R"(,"portName":"Unknown"},"localPortDetails":{"port":22,"portName":"SSH"},"protocol":"TCP","blocked":false,"localIpDetails":{"ipAddressV4":"10.0.0.12"}}},"resourceRole":"TARGET","additionalInfo":{"value":"{\"threatListName\":\"ProofPoint\",\"sample\":true}","type":"default"},"eventFirstSeen":"2026-11-23T08:00:00.000Z","eventLastSeen":"2026-11-23T08:59:00.000Z","archived":false,"count":)" +
        std::to_string(1 + rng() % 500) +
        R"(,"evidence":{"threatIntelligenceDetails":[{"threatListName":"ProofPoint","threatNames":["scanner","bruteforce"]}]}},"severity":)" +
        fmtNum(sev) +
        R"(,"createdAt":"2026-11-23T08:00:00.000Z","updatedAt":"2026-11-23T09:00:00.000Z","title":"Finding of type )" +
        type +
        R"( on instance","description":"A finding was generated because activity matching )" +
        type +
        R"( was observed. This is a long human-readable description of the finding, repeated to reach a realistic size for GuardDuty events as delivered by EventBridge to targets. )" +
        std::string(1200 + rng() % 1500, 'x') + R"("}})";
    out.push_back(std::move(e));
  }
  return out;
}

// Security-team style rules over GuardDuty findings. Rule i is one of several shapes; most
// name distinct accounts/instances so only a few match any one finding.
inline std::vector<std::string> guardDutyRules(std::size_t n, uint32_t seed = 11) {
  std::mt19937 rng(seed);
  std::vector<std::string> r;
  r.push_back(
      R"({"source":["aws.guardduty"],"detail":{"type":[{"prefix":"UnauthorizedAccess:EC2/"}],"severity":[{"numeric":[">=",7]}]}})");
  for (std::size_t i = 1; i < n; ++i) {
    std::string account = std::to_string(100000000000ULL + rng() % 900000000ULL);
    switch (i % 5) {
      case 0:
        r.push_back(R"({"source":["aws.guardduty"],"detail":{"accountId":[")" + account +
                    R"("],"severity":[{"numeric":[">",)" + std::to_string(rng() % 8) + "]}]}}");
        break;
      case 1: {
        char inst[32];
        snprintf(inst, sizeof inst, "i-%08x%08x", static_cast<unsigned>(rng()),
                 static_cast<unsigned>(rng() & 0x1ff));
        r.push_back(R"({"detail":{"resource":{"instanceDetails":{"instanceId":[")" +
                    std::string(inst) + R"("]}}}})");
        break;
      }
      case 2:
        r.push_back(R"({"detail-type":["GuardDuty Finding"],"account":[")" + account +
                    R"("],"detail":{"type":[{"prefix":"Recon:"}]}})");
        break;
      case 3:
        r.push_back(R"({"detail":{"resource":{"instanceDetails":{"tags":{"key":["team-)" +
                    std::to_string(i) + R"("],"value":["prod"]}}}}})");
        break;
      default:
        r.push_back(
            R"({"detail":{"service":{"action":{"networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":[")" +
            std::to_string(rng() % 223 + 1) + "." + std::to_string(rng() % 256) + "." +
            std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + R"("]}}}}}})");
        break;
    }
  }
  return r;
}

}  // namespace riposte::pattern::bench
