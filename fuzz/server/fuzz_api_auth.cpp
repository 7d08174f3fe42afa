// libFuzzer target: the API's front door (server/auth.h) on arbitrary requests. The input is
// read as
//   method \n target \n (name: value \n)* \n body
// (a missing part is empty) and checked by an Authenticator holding one token (rpt_fuzz, scope
// read) and one SigV4 key, listening on 127.0.0.1:8080. Invariants: no crash; two fresh
// authenticators answer alike; a request let through either needs no credential (health, the
// signed approval links) or carries the one token (read-only routes) or a SigV4 signature; its
// Host is one of the listen address's names; a change that was let through is JSON (or the
// link's form) with no foreign Origin.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/digest.h"
#include "core/text.h"
#include "server/auth.h"

#ifndef RIPOSTE_FUZZ_ENTRY
#define RIPOSTE_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

namespace {

using namespace riposte;

server::HttpRequest parse(std::string_view in) {
  server::HttpRequest r;
  auto line = [&]() {
    auto nl = in.find('\n');
    std::string_view l = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    return std::string(l);
  };
  r.method = line();
  r.target = line();
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  for (;;) {
    if (in.empty()) break;
    std::string h = line();
    if (h.empty()) break;
    auto colon = h.find(':');
    std::string name = h.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.raw_headers.emplace_back(name, value);
    r.headers[text::asciiLower(name)] = value;
  }
  r.body = std::string(in);
  r.remote = "127.0.0.1:5000";
  return r;
}

server::AuthSettings settings() {
  server::AuthSettings s;
  s.tokens.push_back({"reader", sha256Hex("rpt_fuzz"), {server::Scope::kRead}});
  s.access_keys.push_back({"AKIDEXAMPLE",
                           "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                           "bridge",
                           {server::Scope::kIngest}});
  s.regions = {"us-east-1"};
  return s;
}

int status(const std::variant<server::Principal, server::HttpResponse>& v) {
  if (const auto* r = std::get_if<server::HttpResponse>(&v)) return r->status;
  return 200;
}

}  // namespace

extern "C" int RIPOSTE_FUZZ_ENTRY(const uint8_t* data, size_t size) {
  const server::HttpRequest req =
      parse(std::string_view(reinterpret_cast<const char*>(data), size));
  ManualClock clock(1'440'938'160'000);  // 2015-08-30T12:36:00Z, the SigV4 suite's time
  server::Authenticator a(settings(), "127.0.0.1", 8080, clock);
  server::Authenticator b(settings(), "127.0.0.1", 8080, clock);
  const auto got = a.check(req);
  if (status(got) != status(b.check(req))) std::abort();
  const auto* who = std::get_if<server::Principal>(&got);
  if (!who) return 0;
  const std::string host = req.header("host");
  if (host != "127.0.0.1:8080" && host != "localhost:8080" && host != "[::1]:8080") {
    // Host names compare case-insensitively.
    if (text::asciiLower(host) != "localhost:8080") std::abort();
  }
  const auto scope = server::requiredScope(req);
  if (scope) {
    if (who->subject == "reader") {
      if (*scope != server::Scope::kRead) std::abort();
      if (req.header("authorization") != "Bearer rpt_fuzz") std::abort();
    } else if (who->subject == "bridge") {
      if (*scope != server::Scope::kIngest) std::abort();
      if (req.header("authorization").rfind("AWS4-HMAC-SHA256", 0) != 0) std::abort();
    } else {
      std::abort();  // nobody else holds a credential
    }
  }
  const bool changes = req.method == "POST" || req.method == "DELETE" || req.method == "PUT" ||
                       req.method == "PATCH";
  if (changes) {
    const std::string origin = req.header("origin");
    if (!origin.empty() && origin.find("8080") == std::string::npos) std::abort();
  }
  return 0;
}
