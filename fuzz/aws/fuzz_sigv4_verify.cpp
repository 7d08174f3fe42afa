// libFuzzer target: aws::verifySigV4 on arbitrary requests. The input is read as
//   method \n path \n query \n (name: value \n)* \n body
// (a missing part is empty) and verified against one key (the SigV4 test suite's AKIDEXAMPLE)
// at the suite's time, for service "service" in us-east-1. Invariants checked: no crash; the
// answer is the same twice; an accepted request names that key, region and service, and is
// refused once its method, or (when the payload is signed) its body, changes by one byte.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"
#include "core/clock.h"

#ifndef RIPOSTE_FUZZ_ENTRY
#define RIPOSTE_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

namespace {

using namespace riposte;

struct Parsed {
  std::string method, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;
};

Parsed parse(std::string_view in) {
  Parsed p;
  auto line = [&]() {
    std::size_t nl = in.find('\n');
    std::string_view l = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    return std::string(l);
  };
  p.method = line();
  p.path = line();
  p.query = line();
  while (!in.empty()) {
    std::string l = line();
    if (l.empty()) break;
    std::size_t colon = l.find(':');
    std::string value = colon == std::string::npos ? "" : l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    p.headers.emplace_back(l.substr(0, colon), value);
  }
  p.body = std::string(in);
  return p;
}

Result<aws::VerifiedIdentity> verify(const Parsed& p) {
  static const std::vector<std::string> kRegions = {"us-east-1"};
  static const ManualClock kClock(1440938160000);  // 20150830T123600Z
  static const aws::AccessKeyLookup kKeys =
      [](std::string_view id) -> std::optional<aws::Credentials> {
    if (id != "AKIDEXAMPLE") return std::nullopt;
    return aws::Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  };
  std::vector<aws::HeaderView> hs;
  for (const auto& [n, v] : p.headers) hs.push_back(aws::HeaderView{n, v});
  return aws::verifySigV4(aws::SigV4RequestView{p.method, p.path, p.query, hs, p.body}, kKeys,
                          kClock, "service", kRegions);
}

}  // namespace

extern "C" int RIPOSTE_FUZZ_ENTRY(const uint8_t* data, size_t size) {
  Parsed p = parse(std::string_view(reinterpret_cast<const char*>(data), size));
  auto first = verify(p);
  auto second = verify(p);
  if (first.has_value() != second.has_value()) std::abort();
  if (!first) {
    if (first.error().code != second.error().code) std::abort();
    return 0;
  }
  if (first->access_key_id != "AKIDEXAMPLE" || first->region != "us-east-1" ||
      first->service != "service")
    std::abort();
  Parsed m = p;
  if (m.method.empty()) {
    m.method = "X";
  } else {
    m.method[0] = static_cast<char>(m.method[0] ^ 1);
  }
  if (verify(m)) std::abort();
  if (first->payload_signed) {
    Parsed b = p;
    if (b.body.empty()) {
      b.body = "x";
    } else {
      b.body[0] = static_cast<char>(b.body[0] ^ 1);
    }
    if (verify(b)) std::abort();
  }
  return 0;
}
