// aws::verifySigV4 against AWS's published SigV4 test suite (every vector verifies, every
// single-byte change of method, path, query, a header, the body or the Authorization header
// is refused), every check of docs/sigv4.md with the error it gives (and the table there
// checked against these cases), and requests made by the real AWS CLI (`aws events
// put-events`, `aws stepfunctions send-task-success`) captured by a local HTTP server
// (tests/aws/sigv4_capture.py) and verified here.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "core/clock.h"
#include "sigv4_suite.h"

namespace riposte::aws {
namespace {

// A request that owns its strings, and the view verifySigV4 takes of it.
struct Wire {
  std::string method = "POST", path = "/", query;
  Pairs headers;
  std::string body;

  std::vector<HeaderView> views;
  SigV4RequestView view() {
    views.clear();
    for (const auto& [n, v] : headers) views.push_back(HeaderView{n, v});
    return SigV4RequestView{method, path, query, views, body};
  }
  std::string* header(std::string_view name) {
    for (auto& [n, v] : headers)
      if (n == name) return &v;
    return nullptr;
  }
  void erase(std::string_view name) {
    std::erase_if(headers, [&](const auto& h) { return h.first == name; });
  }
};

Wire wireOf(const suite::Vector& v) {
  Wire w;
  w.method = v.method;
  w.path = v.path;
  w.query = v.query;
  w.headers = v.headers;
  w.headers.emplace_back("Authorization", v.authorization());
  w.body = v.body;
  return w;
}

AccessKeyLookup suiteKeys(std::string token = "") {
  return [token](std::string_view id) -> std::optional<Credentials> {
    if (id != suite::kCredentials.access_key_id) return std::nullopt;
    Credentials c = suite::kCredentials;
    c.session_token = token;
    return c;
  };
}

ManualClock clockAt(SystemTime t) {
  return ManualClock(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

const std::vector<std::string> kSuiteRegions = {suite::kRegion};

Result<VerifiedIdentity> verifyVector(Wire& w, const suite::Vector& v) {
  const bool sts = v.name.find("sts") != std::string::npos;
  ManualClock clock = clockAt(suite::kTime);
  return verifySigV4(w.view(), suiteKeys(sts ? suite::kToken : ""), clock, suite::kService,
                     kSuiteRegions);
}

// ------------------------------------------------------------------ the published suite

class VerifySuiteTest : public ::testing::TestWithParam<suite::Vector> {};

TEST_P(VerifySuiteTest, PublishedRequestVerifies) {
  const suite::Vector& v = GetParam();
  Wire w = wireOf(v);
  auto id = verifyVector(w, v);
  ASSERT_TRUE(id) << v.name << ": " << id.error().str();
  EXPECT_EQ(id->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(id->region, "us-east-1");
  EXPECT_EQ(id->service, "service");
  EXPECT_TRUE(id->payload_signed);
}

// Every byte of the method, path, query, each header's name and value (Authorization
// included) and the body, changed two ways (its lowest bit, its highest bit): never accepted.
TEST_P(VerifySuiteTest, EverySingleByteChangeIsRefused) {
  const suite::Vector& v = GetParam();
  const Wire original = wireOf(v);
  int mutations = 0;
  auto tryAll = [&](const std::function<std::string&(Wire&)>& field, const std::string& what) {
    Wire probe = original;
    const std::size_t n = field(probe).size();
    for (std::size_t i = 0; i < n; ++i) {
      for (unsigned char flip : {0x01, 0x80}) {
        Wire w = original;
        std::string& f = field(w);
        f[i] = static_cast<char>(static_cast<unsigned char>(f[i]) ^ flip);
        auto id = verifyVector(w, v);
        EXPECT_FALSE(id) << v.name << ": " << what << " byte " << i << " ^ " << int(flip)
                         << " was accepted: '" << f << "'";
        ++mutations;
      }
    }
  };
  tryAll([](Wire& w) -> std::string& { return w.method; }, "method");
  tryAll([](Wire& w) -> std::string& { return w.path; }, "path");
  tryAll([](Wire& w) -> std::string& { return w.query; }, "query");
  tryAll([](Wire& w) -> std::string& { return w.body; }, "body");
  for (std::size_t h = 0; h < original.headers.size(); ++h) {
    const std::string name = original.headers[h].first;
    tryAll([h](Wire& w) -> std::string& { return w.headers[h].first; }, "header name " + name);
    tryAll([h](Wire& w) -> std::string& { return w.headers[h].second; }, "header " + name);
  }
  EXPECT_GT(mutations, 400);
}

INSTANTIATE_TEST_SUITE_P(Aws, VerifySuiteTest, ::testing::ValuesIn(suite::vectors()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n) c = (c == '-') ? '_' : c;
                           return n;
                         });

// The query as a client may encode it (unreserved characters escaped, lower-case hex, UTF-8
// escaped) is the same canonical query: the parameters are decoded and re-encoded.
TEST(SigV4Verify, QueryIsCanonicalisedFromItsDecodedParameters) {
  for (const auto& v : suite::vectors()) {
    if (v.name == "get-vanilla-utf8-query") {
      Wire w = wireOf(v);
      w.query = "%e1%88%b4=b%61r";
      auto id = verifyVector(w, v);
      EXPECT_TRUE(id) << id.error().str();
    }
    if (v.name == "get-vanilla-query-order-key-case") {
      Wire w = wireOf(v);
      w.query = "Param1=value1&Param2=value2&";  // order and an empty parameter do not count
      auto id = verifyVector(w, v);
      EXPECT_TRUE(id) << id.error().str();
    }
  }
}

// ------------------------------------------------------------------ every check

// A request signed now (ManualClock) for "events" in eu-west-1, as signRequest (the AWS
// signer riposte's own clients use) signs it, to be changed by each case.
struct Signed {
  Wire wire;
  Credentials creds{"AKIDRIPOSTE", "riposte-secret-key", ""};
  std::string region = "eu-west-1", service = "events";
  SystemTime when = SystemTime(std::chrono::seconds(1764633600));  // 2025-12-02T00:00:00Z
  std::vector<std::string> regions = {"eu-west-1", "us-east-1"};
  std::string lookup_token;  // the session token the key table holds
  SystemTime now = when;

  void sign(Pairs extra = {}) {
    SigningRequest r;
    r.method = wire.method;
    r.path = wire.path;
    r.query = suite::decodeQuery(wire.query);
    r.headers = {{"Host", "127.0.0.1:8080"},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "AWSEvents.PutEvents"}};
    for (auto& e : extra) r.headers.push_back(e);
    r.body = wire.body;
    signRequest(r, creds, region, service, when);
    wire.headers = r.headers;
  }
  Result<VerifiedIdentity> verify() {
    ManualClock clock = clockAt(now);
    const std::string token = lookup_token;
    AccessKeyLookup keys = [&](std::string_view k) -> std::optional<Credentials> {
      if (k != "AKIDRIPOSTE") return std::nullopt;
      return Credentials{"AKIDRIPOSTE", "riposte-secret-key", token};
    };
    return verifySigV4(wire.view(), keys, clock, "events", regions);
  }
};

std::string replaceIn(std::string s, const std::string& from, const std::string& to) {
  auto p = s.find(from);
  EXPECT_NE(p, std::string::npos) << "'" << from << "' not in '" << s << "'";
  if (p != std::string::npos) s.replace(p, from.size(), to);
  return s;
}

struct Case {
  const char* id;
  const char* code;  // "" = verifies
  std::function<void(Signed&)> change;
  const char* message = "";  // a part of the message, when it matters
};

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      {"signed-by-riposte", "", [](Signed&) {}},
      {"missing-authorization", "MissingAuthenticationTokenException",
       [](Signed& s) { s.wire.erase("Authorization"); }, "Missing Authentication Token"},
      {"two-authorization-headers", "IncompleteSignatureException",
       [](Signed& s) {
         s.wire.headers.emplace_back("authorization", *s.wire.header("Authorization"));
       }},
      {"other-scheme", "IncompleteSignatureException",
       [](Signed& s) { *s.wire.header("Authorization") = "AWS AKIDRIPOSTE:c2lnbmF0dXJl"; },
       "requires 'Credential' parameter"},
      {"unsupported-algorithm", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512");
       },
       "Unsupported AWS 'algorithm'"},
      {"missing-parts", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = a.substr(0, a.find(", SignedHeaders"));
         s.wire.erase("X-Amz-Date");
       },
       "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
       "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a "
       "'Date' header."},
      {"part-without-equals", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, "Credential=", "Credential ");
       },
       "not a valid key=value pair (missing equal-sign)"},
      {"duplicate-part", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a += ", Signature=" + a.substr(a.size() - 64);
       },
       "more than one 'Signature'"},
      {"unknown-part", "IncompleteSignatureException",
       [](Signed& s) { *s.wire.header("Authorization") += ", Expires=300"; }},
      {"malformed-credential", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, "/events/aws4_request", "/events");
       }},
      {"wrong-terminator", "InvalidSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, "aws4_request", "aws5_request");
       },
       "valid terminator"},
      {"wrong-service", "InvalidSignatureException",
       [](Signed& s) {
         s.service = "states";
         s.sign();
       },
       "Credential should be scoped to correct service: 'events'."},
      {"region-not-allowed", "InvalidSignatureException",
       [](Signed& s) {
         s.region = "ap-south-1";
         s.sign();
       },
       "Credential should be scoped to a valid region, not 'ap-south-1'."},
      {"no-region-allowed", "InvalidSignatureException", [](Signed& s) { s.regions.clear(); }},
      {"scope-date-not-request-date", "InvalidSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, "/20251202/", "/20251201/");
       },
       "Date in Credential scope does not match"},
      {"year-3015", "InvalidSignatureException",
       [](Signed& s) { *s.wire.header("X-Amz-Date") = "30151202T000000Z"; },
       "'20251202' != '30151202', from '30151202T000000Z'."},
      {"malformed-x-amz-date", "IncompleteSignatureException",
       [](Signed& s) { *s.wire.header("X-Amz-Date") = "2025-12-02T00:00:00Z"; }},
      {"impossible-x-amz-date", "IncompleteSignatureException",
       [](Signed& s) { *s.wire.header("X-Amz-Date") = "20250230T000000Z"; }},
      {"two-x-amz-date-headers", "IncompleteSignatureException",
       [](Signed& s) { s.wire.headers.emplace_back("x-amz-date", *s.wire.header("X-Amz-Date")); }},
      {"http-date-header", "",
       [](Signed& s) {
         // Signed with the HTTP Date header instead of X-Amz-Date.
         SigningRequest r;
         r.method = s.wire.method;
         r.headers = {{"Host", "127.0.0.1:8080"},
                      {"Content-Type", "application/x-amz-json-1.1"},
                      {"X-Amz-Target", "AWSEvents.PutEvents"},
                      {"Date", "Tue, 02 Dec 2025 00:00:00 GMT"}};
         r.body = s.wire.body;
         auto sig = computeSigV4(r, s.creds, s.region, s.service, s.when);
         r.headers.emplace_back("Authorization", sig.authorization);
         s.wire.headers = r.headers;
       }},
      {"malformed-http-date", "IncompleteSignatureException",
       [](Signed& s) {
         s.wire.erase("X-Amz-Date");
         s.wire.headers.emplace_back("Date", "Wed, 02 Dec 2025 00:00:00 GMT");  // a Tuesday
       }},
      {"signed-headers-unsorted", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, "content-type;host;", "host;content-type;");
       },
       "sorted"},
      {"signed-headers-upper-case", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, "content-type;host;", "Content-Type;host;");
       }},
      {"signed-headers-duplicate", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, "content-type;host;", "content-type;host;host;");
       }},
      {"host-not-signed", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, "content-type;host;", "content-type;");
       },
       "'Host' or ':authority' must be a 'SignedHeader'"},
      {"date-not-signed", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a = replaceIn(a, ";x-amz-date;", ";");
       }},
      {"token-not-signed", "IncompleteSignatureException",
       [](Signed& s) { s.wire.headers.emplace_back("X-Amz-Security-Token", "token"); },
       "'x-amz-security-token' must be a 'SignedHeader'"},
      {"content-sha256-not-signed", "IncompleteSignatureException",
       [](Signed& s) { s.wire.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD"); }},
      {"signed-header-absent", "IncompleteSignatureException",
       [](Signed& s) { s.wire.erase("X-Amz-Target"); }, "is not in the request"},
      {"two-host-headers", "IncompleteSignatureException",
       [](Signed& s) { s.wire.headers.emplace_back("Host", "127.0.0.1:8080"); }},
      {"signature-not-hex", "IncompleteSignatureException",
       [](Signed& s) {
         auto& a = *s.wire.header("Authorization");
         a.back() = 'G';
       }},
      {"signature-short", "IncompleteSignatureException",
       [](Signed& s) { s.wire.header("Authorization")->pop_back(); }},
      {"five-minutes-late", "", [](Signed& s) { s.now = s.when + std::chrono::minutes(5); }},
      {"five-minutes-early", "", [](Signed& s) { s.now = s.when - std::chrono::minutes(5); }},
      {"expired", "InvalidSignatureException",
       [](Signed& s) { s.now = s.when + std::chrono::minutes(5) + std::chrono::seconds(1); },
       "Signature expired: 20251202T000000Z is now earlier than 20251202T000001Z "
       "(20251202T000501Z - 5 min.)"},
      {"not-yet-current", "InvalidSignatureException",
       [](Signed& s) { s.now = s.when - std::chrono::minutes(6); },
       "Signature not yet current: 20251202T000000Z is still later than 20251201T235900Z "
       "(20251201T235400Z + 5 min.)"},
      {"unknown-key", "UnrecognizedClientException",
       [](Signed& s) {
         s.creds.access_key_id = "AKIDSTRANGER";
         s.sign();
       },
       "The security token included in the request is invalid."},
      {"session-token", "",
       [](Signed& s) {
         s.creds.session_token = "session-token";
         s.lookup_token = "session-token";
         s.sign();
       }},
      {"wrong-session-token", "UnrecognizedClientException",
       [](Signed& s) {
         s.creds.session_token = "session-tokem";
         s.lookup_token = "session-token";
         s.sign();
       }},
      {"missing-session-token", "UnrecognizedClientException",
       [](Signed& s) { s.lookup_token = "session-token"; }},
      {"unexpected-session-token", "UnrecognizedClientException",
       [](Signed& s) {
         s.creds.session_token = "session-token";
         s.sign();
       }},
      {"wrong-secret", "InvalidSignatureException",
       [](Signed& s) {
         s.creds.secret_access_key = "riposte-secret-kez";
         s.sign();
       },
       "The request signature we calculated does not match the signature you provided."},
      {"body-changed", "InvalidSignatureException", [](Signed& s) { s.wire.body += " "; }},
      {"unsigned-payload", "",
       [](Signed& s) {
         s.sign({{"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"}});
       }},
      {"unsigned-payload-body-changed", "",
       [](Signed& s) {
         s.sign({{"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"}});
         s.wire.body = R"({"Entries":[]})";
       }},
      {"content-sha256", "",
       [](Signed& s) {
         s.sign({{"X-Amz-Content-Sha256", sha256Hex(s.wire.body)}});
       }},
      {"content-sha256-mismatch", "InvalidSignatureException",
       [](Signed& s) {
         s.sign({{"X-Amz-Content-Sha256", sha256Hex("other")}});
       },
       "x-amz-content-sha256"},
      {"content-sha256-malformed", "IncompleteSignatureException",
       [](Signed& s) {
         s.sign({{"X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}});
       }},
      {"path-normalised", "",
       [](Signed& s) {
         s.wire.path = "/a/b/";
         s.sign();
         s.wire.path = "/a/./c/../b//";
       }},
      {"path-not-origin-form", "IncompleteSignatureException",
       [](Signed& s) { s.wire.path = "http://127.0.0.1:8080/"; }},
      {"query-bad-percent", "IncompleteSignatureException",
       [](Signed& s) { s.wire.query = "a=%zz"; }},
      {"query-changed", "InvalidSignatureException",
       [](Signed& s) {
         s.wire.query = "a=1";
         s.sign();
         s.wire.query = "a=2";
       }},
  };
  return kCases;
}

TEST(SigV4Verify, EveryCheckGivesItsError) {
  for (const Case& c : cases()) {
    Signed s;
    s.wire.body = R"({"Entries":[{"Source":"riposte.test","DetailType":"t","Detail":"{}"}]})";
    s.sign();
    c.change(s);
    auto id = s.verify();
    if (std::string(c.code).empty()) {
      EXPECT_TRUE(id) << c.id << ": " << id.error().str();
      if (id) {
        EXPECT_EQ(id->access_key_id, "AKIDRIPOSTE") << c.id;
        EXPECT_EQ(id->region, "eu-west-1") << c.id;
        EXPECT_EQ(id->service, "events") << c.id;
        EXPECT_EQ(id->payload_signed, std::string(c.id).find("unsigned") == std::string::npos)
            << c.id;
      }
      continue;
    }
    ASSERT_FALSE(id) << c.id << " was accepted";
    EXPECT_EQ(id.error().code, c.code) << c.id << ": " << id.error().message;
    EXPECT_NE(id.error().message.find(c.message), std::string::npos)
        << c.id << ": " << id.error().message;
    EXPECT_EQ(sigV4ErrorStatus(id.error().code),
              id.error().code == "MissingAuthenticationTokenException" ? 403 : 400);
  }
}

// docs/sigv4.md's table of checks names each case above with the code it gives: both agree.
TEST(SigV4Verify, DocumentedTableMatchesTheCases) {
  std::ifstream in(std::string(RIPOSTE_SOURCE_DIR) + "/docs/sigv4.md");
  ASSERT_TRUE(in) << "docs/sigv4.md";
  std::map<std::string, std::string> documented;  // case id -> code ("" = accepted)
  std::string line;
  while (std::getline(in, line)) {
    // | … | `code` or accepted | … | `case-id`, `case-id` |
    if (line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(cell);
    if (cells.size() < 5) continue;
    const std::string& code_cell = cells[2];
    const std::string& ids_cell = cells[cells.size() - 1];
    std::string code;
    if (code_cell.find("accepted") != std::string::npos) {
      code = "";
    } else {
      auto a = code_cell.find('`'), b = code_cell.find('`', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      code = code_cell.substr(a + 1, b - a - 1);
    }
    for (std::size_t p = ids_cell.find('`'); p != std::string::npos;
         p = ids_cell.find('`', p + 1)) {
      auto e = ids_cell.find('`', p + 1);
      if (e == std::string::npos) break;
      documented[ids_cell.substr(p + 1, e - p - 1)] = code;
      p = e;
    }
  }
  ASSERT_FALSE(documented.empty());
  for (const Case& c : cases()) {
    auto it = documented.find(c.id);
    ASSERT_NE(it, documented.end()) << c.id << " is not in docs/sigv4.md";
    EXPECT_EQ(it->second, c.code) << c.id;
    documented.erase(it);
  }
  for (const auto& [id, code] : documented) ADD_FAILURE() << "docs/sigv4.md names no case " << id;
}

// ------------------------------------------------------------------ the real AWS CLI

struct Captured {
  Wire wire;
  std::string error;
};

// Runs tests/aws/sigv4_capture.py (python http.server + the AWS CLI), then parses the raw
// request it recorded: request line, header lines as sent, body.
Captured captureCli(const std::vector<std::string>& capture_args) {
  Captured c;
  const std::string out = (std::filesystem::temp_directory_path() /
                           ("riposte-sigv4-" + std::to_string(::getpid()) + ".req"))
                              .string();
  std::vector<std::string> argv = {
      "python3", std::string(RIPOSTE_SOURCE_DIR) + "/tests/aws/sigv4_capture.py", "--out", out};
  argv.insert(argv.end(), capture_args.begin(), capture_args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    c.error = "sigv4_capture.py failed (exit " + std::to_string(WEXITSTATUS(status)) +
              "): python3 and the AWS CLI (aws) must be on PATH";
    return c;
  }
  std::ifstream in(out, std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(out);
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    c.error = "no request head in the capture";
    return c;
  }
  c.wire.body = raw.substr(head_end + 4);
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
  c.wire.method = line.substr(0, sp1);
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto q = target.find('?');
  c.wire.path = target.substr(0, q);
  c.wire.query = q == std::string::npos ? "" : target.substr(q + 1);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);  // OWS, as servers strip it
    c.wire.headers.emplace_back(line.substr(0, colon), value);
  }
  return c;
}

// The request's own X-Amz-Date, as a time.
SystemTime requestTime(Wire& w) {
  const std::string d = *w.header("X-Amz-Date");
  std::tm tm{};
  tm.tm_year = std::stoi(d.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(d.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(d.substr(6, 2));
  tm.tm_hour = std::stoi(d.substr(9, 2));
  tm.tm_min = std::stoi(d.substr(11, 2));
  tm.tm_sec = std::stoi(d.substr(13, 2));
  return SystemTime(std::chrono::seconds(timegm(&tm)));
}

AccessKeyLookup keyTable(std::string secret, std::string token = "") {
  return [secret, token](std::string_view id) -> std::optional<Credentials> {
    if (id != "AKIDRIPOSTECLI") return std::nullopt;
    return Credentials{"AKIDRIPOSTECLI", secret, token};
  };
}

TEST(SigV4VerifyCli, PutEventsFromTheAwsCli) {
  Captured c = captureCli({"--access-key", "AKIDRIPOSTECLI", "--secret", "cli/secret+key", "--",
                           "events", "put-events", "--entries",
                           R"([{"Source":"riposte.test","DetailType":"t","Detail":"{\"a\":1}"}])"});
  ASSERT_TRUE(c.error.empty()) << c.error;
  ASSERT_NE(c.wire.header("X-Amz-Target"), nullptr);
  EXPECT_EQ(*c.wire.header("X-Amz-Target"), "AWSEvents.PutEvents");
  const std::vector<std::string> regions = {"us-east-1"};
  const SystemTime t = requestTime(c.wire);

  ManualClock at_request = clockAt(t);
  auto ok = verifySigV4(c.wire.view(), keyTable("cli/secret+key"), at_request, "events", regions);
  ASSERT_TRUE(ok) << ok.error().str();
  EXPECT_EQ(ok->access_key_id, "AKIDRIPOSTECLI");
  EXPECT_EQ(ok->region, "us-east-1");
  EXPECT_EQ(ok->service, "events");
  EXPECT_TRUE(ok->payload_signed);
  // The system clock, just after: within the window too.
  auto now = verifySigV4(c.wire.view(), keyTable("cli/secret+key"), SystemClock::instance(),
                         "events", regions);
  EXPECT_TRUE(now) << now.error().str();

  auto wrong =
      verifySigV4(c.wire.view(), keyTable("cli/secret+kez"), at_request, "events", regions);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "InvalidSignatureException");

  ManualClock later = clockAt(t + std::chrono::minutes(6));
  auto stale = verifySigV4(c.wire.view(), keyTable("cli/secret+key"), later, "events", regions);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "InvalidSignatureException");
  EXPECT_EQ(stale.error().message.rfind("Signature expired: ", 0), 0u) << stale.error().message;

  auto states =
      verifySigV4(c.wire.view(), keyTable("cli/secret+key"), at_request, "states", regions);
  ASSERT_FALSE(states);
  EXPECT_EQ(states.error().code, "InvalidSignatureException");
}

TEST(SigV4VerifyCli, StepFunctionsWithASessionTokenFromTheAwsCli) {
  Captured c = captureCli({"--access-key", "AKIDRIPOSTECLI", "--secret", "cli-secret", "--token",
                           "cli-session-token", "--region", "eu-west-1", "--response", "{}", "--",
                           "stepfunctions", "send-task-success", "--task-token", "token-1",
                           "--task-output", R"({"ok":true})"});
  ASSERT_TRUE(c.error.empty()) << c.error;
  ASSERT_NE(c.wire.header("X-Amz-Target"), nullptr);
  EXPECT_EQ(*c.wire.header("X-Amz-Target"), "AWSStepFunctions.SendTaskSuccess");
  const std::vector<std::string> regions = {"eu-west-1"};
  ManualClock at_request = clockAt(requestTime(c.wire));
  auto ok = verifySigV4(c.wire.view(), keyTable("cli-secret", "cli-session-token"), at_request,
                        "states", regions);
  ASSERT_TRUE(ok) << ok.error().str();
  EXPECT_EQ(ok->service, "states");
  EXPECT_EQ(ok->region, "eu-west-1");
  auto token = verifySigV4(c.wire.view(), keyTable("cli-secret", "other-token"), at_request,
                           "states", regions);
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, "UnrecognizedClientException");
  const std::vector<std::string> us = {"us-east-1"};
  auto region = verifySigV4(c.wire.view(), keyTable("cli-secret", "cli-session-token"), at_request,
                            "states", us);
  ASSERT_FALSE(region);
  EXPECT_EQ(region.error().code, "InvalidSignatureException");
}

}  // namespace
}  // namespace riposte::aws
