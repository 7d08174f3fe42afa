// engine/threat_publish.h: the addresses riposte blocks, kept in an S3 object (GuardDuty TXT)
// and handed to GuardDuty as a ThreatIntelSet. S3 is moto. moto does not serve GuardDuty's
// ThreatIntelSet API, so GuardDuty is a small double (GuardDutyDouble below) that checks
// every request against the GuardDuty API reference — the service model botocore ships
// (guardduty 2017-11-28, service-2.json): the operation's method and URI, the JSON members
// the input shape allows (wire names: activate, clientToken, format, location, name, tags;
// Update: activate, location, name, expectedBucketOwner), the required ones (Create: name,
// format, location, activate), their types and lengths (Name and Location 1-300 characters,
// ClientToken 0-64, Format one of TXT, STIX, OTX_CSV, ALIEN_VAULT, PROOF_POINT, FIRE_EYE,
// maxResults 1-50) and a SigV4 signature for service "guardduty"; anything else is recorded
// as a violation and answered as GuardDuty does (400 BadRequestException).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "aws/s3.h"
#include "engine/threat_publish.h"
#include "support/http_recorder.h"
#include "support/moto_server.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;
using riposte::testing::HttpRecorder;
using riposte::testing::RecordedRequest;
using riposte::testing::ScriptedResponse;

class GuardDutyDouble {
 public:
  struct Set {
    std::string name, format, location, status;
  };
  GuardDutyDouble() {
    rec_.handle([this](const RecordedRequest& r) { return answer(r); });
  }
  std::string endpoint() const { return rec_.endpoint(); }
  std::vector<std::string> violations() {
    std::lock_guard l(mu_);
    return violations_;
  }
  std::vector<std::string> calls() {
    std::lock_guard l(mu_);
    return calls_;
  }
  void clearCalls() {
    std::lock_guard l(mu_);
    calls_.clear();
  }
  std::map<std::string, Set> sets() {
    std::lock_guard l(mu_);
    return sets_;
  }
  void addSet(const std::string& id, Set s) {
    std::lock_guard l(mu_);
    sets_[id] = std::move(s);
  }
  json::value lastBody() {
    std::lock_guard l(mu_);
    return last_body_;
  }

 private:
  ScriptedResponse bad(const std::string& why) {
    violations_.push_back(why);
    return {400,
            json::serialize(json::object{{"__type", "BadRequestException"}, {"message", why}})};
  }
  // Checks a JSON body against an input shape: allowed members, required ones, types.
  bool checkBody(const json::value& body, const std::set<std::string>& allowed,
                 const std::set<std::string>& required, std::string& why) {
    if (!body.is_object()) {
      why = "body is not a JSON object";
      return false;
    }
    for (const auto& kv : body.as_object()) {
      if (!allowed.count(std::string(kv.key()))) {
        why = "member '" + std::string(kv.key()) + "' is not in the input shape";
        return false;
      }
    }
    for (const auto& k : required) {
      if (!body.as_object().contains(k)) {
        why = "required member '" + k + "' missing";
        return false;
      }
    }
    const auto& o = body.as_object();
    auto str = [&](const char* k, std::size_t lo, std::size_t hi) {
      const json::value* v = o.if_contains(k);
      if (!v) return true;
      if (!v->is_string() || v->as_string().size() < lo || v->as_string().size() > hi) {
        why = std::string(k) + " must be a string of " + std::to_string(lo) + "-" +
              std::to_string(hi) + " characters";
        return false;
      }
      return true;
    };
    if (!str("name", 1, 300) || !str("location", 1, 300) || !str("clientToken", 0, 64) ||
        !str("format", 1, 300) || !str("expectedBucketOwner", 12, 12))
      return false;
    if (const json::value* v = o.if_contains("activate"); v && !v->is_bool()) {
      why = "activate must be a boolean";
      return false;
    }
    if (const json::value* v = o.if_contains("format")) {
      static const std::set<std::string> kFormats = {"TXT",         "STIX",        "OTX_CSV",
                                                     "ALIEN_VAULT", "PROOF_POINT", "FIRE_EYE"};
      if (!kFormats.count(std::string(v->as_string()))) {
        why = "format is not a ThreatIntelSetFormat";
        return false;
      }
    }
    return true;
  }

  ScriptedResponse answer(const RecordedRequest& r) {
    std::lock_guard l(mu_);
    const std::string auth = r.header("authorization");
    if (auth.rfind("AWS4-HMAC-SHA256 Credential=", 0) != 0 ||
        auth.find("/guardduty/aws4_request") == std::string::npos) {
      return bad("not signed with SigV4 for service guardduty: " + auth);
    }
    std::string path = r.target.substr(0, r.target.find('?'));
    std::string query =
        r.target.find('?') == std::string::npos ? "" : r.target.substr(r.target.find('?') + 1);
    const std::string prefix = "/detector/" + kDetector + "/threatintelset";
    if (path.rfind(prefix, 0) != 0) return bad("unknown URI " + path);
    const std::string rest = path.substr(prefix.size());
    json::value body = nullptr;
    if (!r.body.empty()) {
      auto v = parseJson(r.body);
      if (!v) return bad("body is not JSON");
      body = *v;
      if (r.header("content-type").rfind("application/json", 0) != 0)
        return bad("content-type is not application/json");
    }
    last_body_ = body;
    std::string why;
    if (rest.empty() && r.method == "POST") {
      calls_.push_back("CreateThreatIntelSet");
      if (!checkBody(body, {"activate", "clientToken", "format", "location", "name", "tags"},
                     {"name", "format", "location", "activate"}, why))
        return bad("CreateThreatIntelSet: " + why);
      const std::string id = "tis" + std::to_string(sets_.size() + 1);
      sets_[id] = {std::string(body.at("name").as_string()),
                   std::string(body.at("format").as_string()),
                   std::string(body.at("location").as_string()),
                   body.at("activate").as_bool() ? "ACTIVE" : "INACTIVE"};
      return {200, json::serialize(json::object{{"threatIntelSetId", id}})};
    }
    if (rest.empty() && r.method == "GET") {
      calls_.push_back("ListThreatIntelSets");
      if (!r.body.empty()) return bad("ListThreatIntelSets has no body");
      // One id a page, so the client follows nextToken.
      std::size_t from = 0;
      for (const auto& kv : splitQuery(query)) {
        if (kv.first == "maxResults") {
          int n = std::atoi(kv.second.c_str());
          if (n < 1 || n > 50) return bad("maxResults must be 1-50");
        } else if (kv.first == "nextToken") {
          from = std::stoul(kv.second);
        } else {
          return bad("query parameter '" + kv.first + "' is not in the input shape");
        }
      }
      json::array ids;
      std::size_t i = 0;
      std::string next;
      for (const auto& [id, s] : sets_) {
        if (i == from) ids.push_back(json::value(id));
        if (i == from + 1) next = std::to_string(i);
        ++i;
      }
      json::object out{{"threatIntelSetIds", ids}};
      if (!next.empty()) out["nextToken"] = next;
      return {200, json::serialize(out)};
    }
    const std::string id = rest.size() > 1 ? rest.substr(1) : "";
    auto it = sets_.find(id);
    if (r.method == "GET") {
      calls_.push_back("GetThreatIntelSet");
      if (it == sets_.end()) return bad("no set " + id);
      return {200, json::serialize(json::object{{"name", it->second.name},
                                                {"format", it->second.format},
                                                {"location", it->second.location},
                                                {"status", it->second.status}})};
    }
    if (r.method == "POST") {
      calls_.push_back("UpdateThreatIntelSet");
      if (!checkBody(body, {"activate", "location", "name", "expectedBucketOwner"}, {}, why))
        return bad("UpdateThreatIntelSet: " + why);
      if (it == sets_.end()) return bad("no set " + id);
      if (body.as_object().contains("location"))
        it->second.location = std::string(body.at("location").as_string());
      if (body.as_object().contains("activate"))
        it->second.status = body.at("activate").as_bool() ? "ACTIVE" : "INACTIVE";
      return {200, "{}"};
    }
    return bad("unknown operation " + r.method + " " + path);
  }
  static std::vector<std::pair<std::string, std::string>> splitQuery(const std::string& q) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t i = 0;
    while (i < q.size()) {
      std::size_t amp = q.find('&', i);
      std::string kv = q.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
      auto eq = kv.find('=');
      out.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
      if (amp == std::string::npos) break;
      i = amp + 1;
    }
    return out;
  }

 public:
  inline static const std::string kDetector = "12abc34d567e8fa901bc2d34e56789f0";

 private:
  HttpRecorder rec_;
  std::mutex mu_;
  std::vector<std::string> violations_, calls_;
  std::map<std::string, Set> sets_;
  json::value last_body_;
};

class PublishMotoTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    db_ = fs::temp_directory_path() /
          ("riposte-publish-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    fs::remove(db_);
    auto s = store::openStore("sqlite://" + db_.string());
    ASSERT_TRUE(s) << s.error().str();
    store_ = std::move(*s);
    store::IncidentRecord inc;
    inc.id = "inc-1";
    inc.dedup_key = "123456789012/us-east-1/i-1/T";
    inc.created_ms = inc.updated_ms = clock_.nowMillis();
    ASSERT_TRUE(store_->upsertIncident(inc, ""));
    // S3 is moto, GuardDuty the double.
    aws::RetryPolicy p;
    p.max_attempts = 1;
    client_ = std::make_shared<aws::Client>(aws::Credentials{"test", "test", ""}, p);
    const std::string moto_ep = moto().endpoint(), gd = gd_.endpoint();
    client_->setEndpointResolver([moto_ep, gd](std::string_view service, std::string_view) {
      return service == "guardduty" ? gd : moto_ep;
    });
    ASSERT_TRUE(aws::s3CreateBucket(*client_, "us-east-1", "riposte-pub"));
    BlockPublisher::declareMetrics(metrics_);
    gd_.addSet("other",
               {"someone-else", "TXT", "https://s3.us-east-1.amazonaws.com/x/y", "ACTIVE"});
  }
  void TearDown() override {
    store_.reset();
    fs::remove(db_);
    fs::remove(db_.string() + "-wal");
    fs::remove(db_.string() + "-shm");
  }
  void record(const std::string& id, const std::string& action, const std::string& status,
              const std::string& output) {
    store::ActionRecord a;
    a.id = id;
    a.incident_id = "inc-1";
    a.action = action;
    a.status = status;
    a.output = output;
    a.started_ms = ++t_;
    a.ended_ms = t_;
    ASSERT_TRUE(store_->insertAction(a));
  }
  std::string object() {
    auto o =
        aws::s3GetObject(*client_, {"us-east-1", "riposte-pub", "guardduty/blocked.txt", "", ""});
    EXPECT_TRUE(o) << o.error().str();
    return o ? o->body : "";
  }
  policy::PublishConfig publish() {
    policy::PublishConfig p;
    p.location = *policy::parseListSource("s3://riposte-pub/guardduty/blocked.txt");
    p.detector_id = GuardDutyDouble::kDetector;
    return p;
  }

  fs::path db_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<aws::Client> client_;
  GuardDutyDouble gd_;
  ManualClock clock_;
  Metrics metrics_;
  int64_t t_ = 1'700'000'000'000;
};

TEST_F(PublishMotoTest, TheBlockedAddressesAreKeptInS3AndGuardDutyReadsThem) {
  record("a1", "aws.ec2.blockIp", "succeeded",
         R"({"networkAclId":"acl-1","cidr":"198.51.100.7/32","changed":true})");
  record("a2", "aws.ec2.blockIp", "succeeded",
         R"({"networkAclId":"acl-1","cidr":"203.0.113.9/32","changed":true})");
  record("a3", "aws.wafv2.blockIp", "succeeded",
         R"({"ipSetId":"ips-1","cidr":"2001:db8::1/128","changed":true})");
  record("a4", "aws.ec2.blockIp", "dry_run", R"({"networkAclId":"acl-1","cidr":"192.0.2.99/32"})");
  record("a5", "aws.ec2.blockIp", "unchanged",
         R"({"networkAclId":"acl-2","cidr":"192.0.2.98/32"})");
  // 203.0.113.9 was evicted from acl-1 to make room for 192.0.2.5; it is still blocked in acl-3.
  record("a6", "aws.ec2.blockIp", "succeeded",
         R"({"networkAclId":"acl-3","cidr":"203.0.113.9/32","changed":true})");
  record("a7", "aws.ec2.blockIp", "succeeded",
         R"({"networkAclId":"acl-1","cidr":"192.0.2.5/32","evicted":{"cidr":"203.0.113.9/32"}})");
  record("a8", "aws.ec2.isolateInstance", "succeeded", R"({"cidr":"192.0.2.200/32"})");

  BlockPublisher pub(*store_, clock_, metrics_);
  pub.configure(publish(), "us-east-1", client_, {"aws.ec2.blockIp", "aws.wafv2.blockIp"});
  auto r = pub.sync();
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->at("created").as_bool());
  EXPECT_EQ(object(), "192.0.2.5\n198.51.100.7\n2001:db8::1\n203.0.113.9\n");
  EXPECT_EQ(gd_.calls(), (std::vector<std::string>{"ListThreatIntelSets", "GetThreatIntelSet",
                                                   "CreateThreatIntelSet"}));
  auto body = gd_.lastBody();
  EXPECT_EQ(body.at("format").as_string(), "TXT");
  EXPECT_EQ(body.at("name").as_string(), "riposte-blocked");
  EXPECT_EQ(body.at("location").as_string(),
            "https://s3.us-east-1.amazonaws.com/riposte-pub/guardduty/blocked.txt");
  EXPECT_TRUE(body.at("activate").as_bool());
  const std::string id(r->at("threatIntelSetId").as_string());
  EXPECT_EQ(gd_.sets().at(id).status, "ACTIVE");

  // Nothing changed: nothing is written, GuardDuty is not called.
  gd_.clearCalls();
  r = pub.sync();
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(r->at("written").as_bool());
  EXPECT_TRUE(gd_.calls().empty());

  // A release: the address leaves the object and GuardDuty is told to read it again.
  auto a1 = store_->getAction("a1").value().value();
  a1.status = "released";
  ASSERT_TRUE(store_->updateAction(a1));
  pub.markDirty();
  EXPECT_TRUE(pub.due());
  r = pub.sync();
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(object(), "192.0.2.5\n2001:db8::1\n203.0.113.9\n");
  EXPECT_EQ(gd_.calls(), std::vector<std::string>{"UpdateThreatIntelSet"});
  EXPECT_EQ(gd_.lastBody().at("location").as_string(),
            "https://s3.us-east-1.amazonaws.com/riposte-pub/guardduty/blocked.txt");

  // Another process (a restart) finds the set by name instead of creating a second one.
  BlockPublisher again(*store_, clock_, metrics_);
  again.configure(publish(), "us-east-1", client_, {"aws.ec2.blockIp", "aws.wafv2.blockIp"});
  gd_.clearCalls();
  r = again.sync();
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(r->at("created").as_bool());
  EXPECT_EQ(std::string(r->at("threatIntelSetId").as_string()), id);
  EXPECT_EQ(gd_.sets().size(), 2u);
  auto calls = gd_.calls();
  EXPECT_EQ(calls.back(), "UpdateThreatIntelSet");
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "CreateThreatIntelSet"), 0);

  EXPECT_TRUE(gd_.violations().empty()) << gd_.violations().front();
  EXPECT_NE(metrics_.render().find("riposte_threat_published_addresses 3"), std::string::npos)
      << metrics_.render();
  auto st = again.statusJson();
  EXPECT_EQ(st.at("addresses").as_uint64(), 3u);
  EXPECT_EQ(st.at("lastResult").as_string(), "ok");
}

TEST_F(PublishMotoTest, AFailureIsCountedSaidAndTriedAgainAMinuteLater) {
  record("a1", "aws.ec2.blockIp", "succeeded",
         R"({"networkAclId":"acl-1","cidr":"198.51.100.7/32"})");
  BlockPublisher pub(*store_, clock_, metrics_);
  auto p = publish();
  p.location = *policy::parseListSource("s3://no-such-bucket-riposte/blocked.txt");
  pub.configure(p, "us-east-1", client_, {"aws.ec2.blockIp"});
  auto r = pub.sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "NoSuchBucket");
  EXPECT_FALSE(pub.due());  // not before a minute has passed
  clock_.advance(std::chrono::minutes(1));
  EXPECT_TRUE(pub.due());
  EXPECT_NE(metrics_.render().find(R"(riposte_threat_publish_failures_total{step="s3"} 1)"),
            std::string::npos);
  EXPECT_NE(std::string(pub.statusJson().at("lastError").as_string()).find("NoSuchBucket"),
            std::string::npos);
  EXPECT_TRUE(gd_.calls().empty());
}

}  // namespace
}  // namespace riposte::engine
