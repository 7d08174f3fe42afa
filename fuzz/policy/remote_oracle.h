#pragma once
// A second reading of the remote-address fields, from a Boost.JSON DOM: the oracle the fuzz
// target and the tests hold policy's forward cursor against. It shares nothing with the
// cursor but IpAddress::make and the field list of policy/threat_intel.h, written out again.
// (On a document with duplicate keys Boost keeps one of them and the cursor reads every
// one: compare on serialized DOMs, which have none.)

#include <algorithm>
#include <string>
#include <vector>

#include "core/json.h"
#include "policy/ip.h"

namespace riposte::policy::oracle {

struct Found {
  std::vector<IpAddress> addresses;  // sorted, unique
  std::size_t skipped = 0;
};

inline const json::object* objectAt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}
inline const json::array* arrayAt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_array() ? &it->value().get_array() : nullptr;
}

// One value that should be an address: true when it counts (an address or not-null).
inline void take(const json::value& v, Found& f, bool use = true) {
  if (v.is_null()) return;
  if (!use) return;
  if (!v.is_string()) {
    ++f.skipped;
    return;
  }
  auto a = IpAddress::make(std::string_view(v.get_string()));
  if (a) {
    f.addresses.push_back(*a);
  } else {
    ++f.skipped;
  }
}

inline void takeMember(const json::object& o, std::string_view key, Found& f, bool use = true) {
  auto it = o.find(key);
  if (it != o.end()) take(it->value(), f, use);
}

inline Found remoteAddresses(const json::value& event) {
  Found f;
  if (!event.is_object()) return f;
  const json::object* detail = objectAt(event.get_object(), "detail");
  if (!detail) return f;
  // GuardDuty.
  auto gdRemote = [&](const json::object& holder) {
    if (const auto* r = objectAt(holder, "remoteIpDetails")) {
      takeMember(*r, "ipAddressV4", f);
      takeMember(*r, "ipAddressV6", f);
    }
  };
  if (const auto* service = objectAt(*detail, "service")) {
    if (const auto* action = objectAt(*service, "action")) {
      for (const char* k : {"networkConnectionAction", "awsApiCallAction",
                            "kubernetesApiCallAction", "rdsLoginAttemptAction"}) {
        if (const auto* a = objectAt(*action, k)) gdRemote(*a);
      }
      if (const auto* k8s = objectAt(*action, "kubernetesApiCallAction")) {
        for (const char* k : {"sourceIPs", "sourceIps"}) {
          auto it = k8s->find(k);
          if (it == k8s->end()) continue;
          if (it->value().is_array()) {
            for (const auto& v : it->value().get_array()) take(v, f);
          } else if (!it->value().is_null()) {
            ++f.skipped;
          }
        }
      }
      if (const auto* probe = objectAt(*action, "portProbeAction")) {
        if (const auto* details = arrayAt(*probe, "portProbeDetails")) {
          for (const auto& d : *details) {
            if (d.is_object()) gdRemote(d.get_object());
          }
        }
      }
    }
  }
  // Security Hub (ASFF).
  if (const auto* findings = arrayAt(*detail, "findings")) {
    auto asffRemote = [&](const json::object& holder) {
      if (const auto* r = objectAt(holder, "RemoteIpDetails")) takeMember(*r, "IpAddressV4", f);
    };
    for (const auto& item : *findings) {
      if (!item.is_object()) continue;
      const auto& finding = item.get_object();
      if (const auto* net = objectAt(finding, "Network")) {
        std::string dir;
        if (auto it = net->find("Direction"); it != net->end() && it->value().is_string())
          dir = std::string(it->value().get_string());
        bool src = dir != "OUT", dst = dir != "IN";
        for (const char* k : {"SourceIpV4", "SourceIpV6"}) takeMember(*net, k, f, src);
        for (const char* k : {"DestinationIpV4", "DestinationIpV6"}) takeMember(*net, k, f, dst);
      }
      if (const auto* action = objectAt(finding, "Action")) {
        for (const char* k : {"NetworkConnectionAction", "AwsApiCallAction"}) {
          if (const auto* a = objectAt(*action, k)) asffRemote(*a);
        }
        if (const auto* probe = objectAt(*action, "PortProbeAction")) {
          if (const auto* details = arrayAt(*probe, "PortProbeDetails")) {
            for (const auto& d : *details) {
              if (d.is_object()) asffRemote(d.get_object());
            }
          }
        }
      }
    }
  }
  std::sort(f.addresses.begin(), f.addresses.end());
  f.addresses.erase(std::unique(f.addresses.begin(), f.addresses.end()), f.addresses.end());
  return f;
}

}  // namespace riposte::policy::oracle
