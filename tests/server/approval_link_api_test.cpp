// Signed one-time approval links through the HTTP API (GET/POST /v1/approvals/{id}/link), on an
// engine with a real SQLite store, the approval gate and a manual clock, called through
// Api::handle: the GET shows a confirmation page and decides nothing (link scanners in mail and
// chat fetch it), only the form's POST votes, as the link's approver; a replayed, forged,
// swapped or expired link is refused with no vote; a deny needs a reason; the page is inert
// HTML (a summary holding <script> stays text) with strict headers; the links are made from the
// approval.requested audit record when notifying and stored nowhere, never in the API's views.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "policy/approval_link.h"
#include "server/api.h"

namespace riposte::server {
namespace {

namespace fs = std::filesystem;

class FakeIsolate final : public actions::Action {
 public:
  FakeIsolate() {
    desc_.name = "aws.ec2.isolateInstance";
    desc_.description = "fake";
    desc_.role = actions::Role::kContain;
  }
  const actions::Descriptor& descriptor() const override { return desc_; }
  Result<actions::ActionOutcome> run(const json::value&, actions::ActionContext&) const override {
    ++runs;
    actions::ActionOutcome o;
    o.changed = true;
    o.output = json::object{{"isolated", true}};
    o.summary = "isolated";
    return o;
  }
  mutable std::atomic<int> runs{0};

 private:
  actions::Descriptor desc_;
};

const std::string kKey = "0123456789abcdef0123456789abcdef-links";

class ApprovalLinkApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-links-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    api_.reset();
    engine_.reset();
    fs::remove_all(dir_);
  }

  void open(const std::string& params, bool links = true, int64_t ttl_ms = 0) {
    api_.reset();
    engine_.reset();
    auto store = store::openStore("sqlite://" + (dir_ / "r.db").string());
    ASSERT_TRUE(store) << store.error().str();
    engine::Config c;
    c.approvals.groups["soc"] = {"alice", "bob"};
    if (links) {
      c.approvals.links.secret_env = "RIPOSTE_TEST_LINK_KEY";
      c.approvals.links.key = kKey;
      c.approvals.links.base_url = "https://riposte.example.com";
      c.approvals.links.ttl_ms = ttl_ms;
    }
    engine::Playbook pb;
    pb.name = "gated";
    pb.definition_json = R"({"StartAt":"Approve","States":{
      "Approve":{"Type":"Task","Resource":"riposte:approval","Parameters":)" +
                         params + R"(,"ResultPath":"$.approval","Next":"Isolate"},
      "Isolate":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance",
        "Parameters":{"by.$":"$.approval.approvers"},"ResultPath":"$.isolated","End":true}}})";
    pb.definition = *parseJson(pb.definition_json);
    c.playbooks["gated"] = pb;
    engine::Rule r;
    r.name = "high";
    r.playbook = "gated";
    r.pattern_json = R"({"source":["aws.guardduty"]})";
    c.rules = {r};
    engine::EngineOptions opt;
    opt.background = false;
    opt.worker_id = "test";
    engine_ = std::make_unique<engine::Engine>(c, std::move(*store), nullptr, clock_, opt);
    if (!isolate_) isolate_ = std::make_shared<FakeIsolate>();
    actions::Registry reg;
    ASSERT_TRUE(reg.add(isolate_));
    ASSERT_TRUE(reg.add(actions::makeApproval()));
    engine_->setRegistry(std::move(reg));
    ASSERT_TRUE(engine_->start());
    api_ = std::make_unique<Api>(*engine_);
  }

  // One finding, the playbook run until it parks on the approval; its id.
  std::string request() {
    json::object d{{"schemaVersion", "2.0"},
                   {"accountId", "123456789012"},
                   {"region", "us-east-1"},
                   {"id", "f-" + std::to_string(++findings_)},
                   {"type", "Recon:EC2/Portscan"},
                   {"severity", 8},
                   {"title", "scan"}};
    d["resource"] = json::object{
        {"resourceType", "Instance"},
        {"instanceDetails", json::object{{"instanceId", "i-" + std::to_string(findings_)}}}};
    auto evs = sources::parseEventsBody(json::serialize(d), clock_);
    EXPECT_TRUE(evs) << evs.error().str();
    EXPECT_TRUE(engine_->ingest(*evs, "test"));
    EXPECT_TRUE(engine_->drain());
    // The request this finding opened: the one not seen before (requests opened at the same
    // instant of the manual clock are listed in no particular order).
    const json::value listed = engine_->listApprovals("pending").value();
    for (const auto& a : listed.at("approvals").as_array()) {
      std::string id(a.at("approvalId").as_string());
      if (seen_.insert(id).second) return id;
    }
    ADD_FAILURE() << "no new approval request";
    return "";
  }
  std::set<std::string> seen_;

  // The links of `id`, made from its approval.requested audit record as a notification makes
  // them; the record itself holds none (they are bearer credentials).
  json::object links(const std::string& id) {
    const auto audit = engine_->store().readAudit(0, 10'000).value();
    for (const auto& a : audit) {
      if (a.kind != "approval.requested") continue;
      auto v = parseJson(a.json).value();
      EXPECT_FALSE(v.as_object().contains("links"));
      EXPECT_EQ(a.json.find("/link?t="), std::string::npos);
      if (v.at("approvalId").as_string() == id) return engine_->approvalLinks(v.as_object());
    }
    return {};
  }
  std::string tokenOf(const std::string& url) { return url.substr(url.find("?t=") + 3); }
  std::string token(const std::string& id, const char* who, const char* decision) {
    json::object l = links(id);
    if (!l.contains(who)) return "";
    return tokenOf(std::string(l.at(who).at(decision).as_string()));
  }

  HttpResponse get(const std::string& id, const std::string& t) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/v1/approvals/" + id + "/link";
    r.query = "t=" + t;
    r.target = r.path + "?" + r.query;
    r.remote = "127.0.0.1:5000";
    return api_->handle(r);
  }
  HttpResponse post(const std::string& id, const std::string& body,
                    const std::string& type = "application/x-www-form-urlencoded") {
    HttpRequest r;
    r.method = "POST";
    r.path = r.target = "/v1/approvals/" + id + "/link";
    r.headers["content-type"] = type;
    r.body = body;
    r.remote = "127.0.0.1:5000";
    return api_->handle(r);
  }
  json::value view(const std::string& id) { return engine_->approval(id).value(); }
  std::size_t votes(const std::string& id) { return view(id).at("votes").as_array().size(); }
  static std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  fs::path dir_;
  ManualClock clock_{1'800'000'000'000};
  std::shared_ptr<FakeIsolate> isolate_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
  int findings_ = 0;
};

TEST_F(ApprovalLinkApiTest, EachApproverHasSignedLinksMadeFromTheRequestedRecord) {
  open(R"({"groups":["soc"],"summary":"isolate i-1"})");
  const std::string id = request();
  json::object l = links(id);
  ASSERT_EQ(l.size(), 2u);
  for (const char* who : {"alice", "bob"})
    for (const char* d : {"approve", "deny"}) {
      const std::string url(l.at(who).at(d).as_string());
      EXPECT_EQ(url.rfind("https://riposte.example.com/v1/approvals/" + id + "/link?t=", 0), 0u)
          << url;
      auto c = policy::verifyApprovalLink(kKey, tokenOf(url), id, clock_.nowMillis());
      ASSERT_TRUE(c) << c.error().str();
      EXPECT_EQ(c->approver, who);
      EXPECT_EQ(c->decision, d);
      EXPECT_EQ(c->expires_ms, view(id).at("deadlineMs").as_int64());
    }
  // Nowhere the API shows: not the approvals, not the incident (its timeline), not the execution.
  const std::string t = token(id, "alice", "approve");
  HttpRequest r;
  r.method = "GET";
  for (const std::string& path : {std::string("/v1/approvals"), "/v1/approvals/" + id}) {
    r.path = r.target = path;
    auto got = api_->handle(r);
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.body.find(t), std::string::npos) << path;
    EXPECT_EQ(got.body.find("link?t="), std::string::npos) << path;
  }
  const std::string incident(view(id).at("incidentId").as_string());
  const std::string execution(view(id).at("executionId").as_string());
  EXPECT_EQ(json::serialize(engine_->incident(incident).value()).find("link?t="),
            std::string::npos);
  EXPECT_EQ(json::serialize(engine_->execution(execution).value()).find("link?t="),
            std::string::npos);
}

TEST_F(ApprovalLinkApiTest, GetShowsTheConfirmationAndDecidesNothingPostApproves) {
  open(R"({"groups":["soc"],"summary":"isolate i-1"})");
  const std::string id = request();
  const std::string t = token(id, "alice", "approve");
  ASSERT_FALSE(t.empty());
  for (int i = 0; i < 3; ++i) {  // a scanner fetching it, again and again
    auto page = get(id, t);
    EXPECT_EQ(page.status, 200) << page.body;
    EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("isolate i-1"), std::string::npos);
    EXPECT_NE(page.body.find("<form method=\"post\" action=\"link\">"), std::string::npos);
    EXPECT_NE(page.body.find("Approve as alice"), std::string::npos);
    EXPECT_NE(page.body.find("value=\"" + t + "\""), std::string::npos);
  }
  EXPECT_EQ(view(id).at("status").as_string(), "pending");
  EXPECT_EQ(votes(id), 0u);
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_->runs.load(), 0);

  auto done = post(id, "t=" + t + "&reason=looks+right%21");
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.content_type, "text/html; charset=utf-8");
  EXPECT_NE(done.body.find("alice approved"), std::string::npos) << done.body;
  auto v = view(id);
  EXPECT_EQ(v.at("status").as_string(), "approved");  // quorum 1
  ASSERT_EQ(v.at("votes").as_array().size(), 1u);
  EXPECT_EQ(v.at("votes").at(0).at("approver").as_string(), "alice");
  EXPECT_EQ(v.at("votes").at(0).at("via").as_string(), "link");
  EXPECT_EQ(v.at("votes").at(0).at("reason").as_string(), "looks right!");
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_->runs.load(), 1);
  bool audited = false;
  const auto audit = engine_->store().readAudit(0, 10'000).value();
  for (const auto& a : audit)
    if (a.kind == "approval.decided")
      audited = parseJson(a.json).value().at("via").as_string() == "link";
  EXPECT_TRUE(audited);
}

TEST_F(ApprovalLinkApiTest, EveryPageHasStrictHeaders) {
  open(R"({"groups":["soc"]})");
  const std::string id = request();
  for (const auto& r : {get(id, token(id, "alice", "approve")), get(id, "forged"),
                        post(id, "t=forged"), post(id, "{}", "application/json")}) {
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(header(r, "Content-Security-Policy"),
              "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
    EXPECT_EQ(header(r, "X-Frame-Options"), "DENY");
    EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer");
    EXPECT_EQ(header(r, "Cache-Control"), "no-store");
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  }
}

TEST_F(ApprovalLinkApiTest, AReplayedLinkIsRefusedAlsoAfterTheDecision) {
  open(R"({"groups":["soc"],"quorum":2})");
  const std::string id = request();
  const std::string t = token(id, "alice", "approve");
  ASSERT_EQ(post(id, "t=" + t).status, 200);
  EXPECT_EQ(view(id).at("status").as_string(), "pending");
  auto again = post(id, "t=" + t);
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("used already"), std::string::npos) << again.body;
  EXPECT_EQ(votes(id), 1u);
  auto page = get(id, t);  // the page says so, and has no form
  EXPECT_EQ(page.status, 409);
  EXPECT_EQ(page.body.find("<form"), std::string::npos);
  // Alice's deny link, or alice through the API: she voted already. The quorum is 2 people.
  EXPECT_EQ(post(id, "t=" + token(id, "alice", "deny") + "&reason=no").status, 409);
  EXPECT_EQ(engine_->decideApproval(id, "approve", "", "alice").error().code, "AlreadyVoted");
  ASSERT_EQ(post(id, "t=" + token(id, "bob", "approve")).status, 200);
  EXPECT_EQ(view(id).at("status").as_string(), "approved");
  // After the decision: the used links, and an unused one, change nothing.
  EXPECT_EQ(post(id, "t=" + t).status, 409);
  EXPECT_EQ(post(id, "t=" + token(id, "bob", "approve")).status, 409);
  auto late = post(id, "t=" + token(id, "bob", "deny") + "&reason=changed+my+mind");
  EXPECT_EQ(late.status, 409);
  EXPECT_NE(late.body.find("already approved"), std::string::npos) << late.body;
  EXPECT_EQ(votes(id), 2u);
  EXPECT_EQ(view(id).at("status").as_string(), "approved");
}

TEST_F(ApprovalLinkApiTest, ADenyLinkNeedsAReason) {
  open(R"({"groups":["soc"]})");
  const std::string id = request();
  const std::string t = token(id, "bob", "deny");
  auto page = get(id, t);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("required></textarea>"), std::string::npos) << page.body;
  for (const std::string& body : {"t=" + t, "t=" + t + "&reason=", "t=" + t + "&reason=+++"}) {
    auto r = post(id, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.body.find("A deny needs a reason"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("<form"), std::string::npos);  // the form again
  }
  EXPECT_EQ(votes(id), 0u);
  auto r = post(id, "t=" + t + "&reason=it+is+the+build+server");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(view(id).at("status").as_string(), "denied");
  EXPECT_EQ(view(id).at("reason").as_string(), "it is the build server");
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_->runs.load(), 0);
}

TEST_F(ApprovalLinkApiTest, ForgedSwappedAndExpiredLinksAreRefusedWithNoVote) {
  open(R"({"groups":["soc"]})", true, 60'000);
  const std::string a = request();
  const std::string b = request();  // another instance: another incident and approval
  ASSERT_NE(a, b);
  const std::string t = token(a, "alice", "approve");
  ASSERT_FALSE(t.empty());
  std::string flipped = t;
  flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == 'A' ? 'B' : 'A';
  // Another key's link with the same claims.
  auto claims = policy::verifyApprovalLink(kKey, t, a, clock_.nowMillis()).value();
  const std::string other = policy::signApprovalLink(std::string(32, 'x'), claims);
  // The deny link's payload with the approve link's MAC.
  const std::string deny = token(a, "alice", "deny");
  const std::string swapped = deny.substr(0, deny.find('.')) + t.substr(t.find('.'));
  for (const std::string& bad : {flipped, other, swapped, std::string(""), std::string("x.y")}) {
    EXPECT_EQ(get(a, bad).status, 403) << bad;
    auto r = post(a, "t=" + bad + "&reason=x");
    EXPECT_EQ(r.status, 403) << bad;
    EXPECT_NE(r.body.find("Nothing was decided"), std::string::npos);
  }
  // A's link on B's path.
  EXPECT_EQ(get(b, t).status, 403);
  EXPECT_EQ(post(b, "t=" + t).status, 403);
  // Past the ttl (60 s), before the deadline (an hour).
  clock_.advance(std::chrono::seconds(60));
  auto gone = get(a, t);
  EXPECT_EQ(gone.status, 410);
  EXPECT_NE(gone.body.find("expired"), std::string::npos);
  EXPECT_EQ(post(a, "t=" + t).status, 410);
  EXPECT_EQ(votes(a), 0u);
  EXPECT_EQ(votes(b), 0u);
  EXPECT_EQ(view(a).at("status").as_string(), "pending");
}

TEST_F(ApprovalLinkApiTest, TheSummaryIsInertText) {
  open(R"({"groups":["soc"],"summary":"<script>alert(1)</script> \"x\" & 'y' <img src=x>"})");
  const std::string id = request();
  for (const auto& r :
       {get(id, token(id, "alice", "approve")), post(id, "t=" + token(id, "bob", "approve"))}) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body.find("<script"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("<img"), std::string::npos);
    EXPECT_NE(r.body.find("&lt;script&gt;alert(1)&lt;/script&gt; &quot;x&quot; &amp; &#39;y&#39; "
                          "&lt;img src=x&gt;"),
              std::string::npos)
        << r.body;
  }
}

TEST_F(ApprovalLinkApiTest, TheFormIsReadStrictly) {
  open(R"({"groups":["soc"]})");
  const std::string id = request();
  const std::string t = token(id, "alice", "approve");
  EXPECT_EQ(post(id, R"({"t":")" + t + "\"}", "application/json").status, 415);
  EXPECT_EQ(post(id, "t=" + t + "&t=" + t).status, 400);        // named twice
  EXPECT_EQ(post(id, "t=" + t + "&approver=bob").status, 400);  // unknown field
  EXPECT_EQ(post(id, "t=" + t + "&reason=%zz").status, 400);    // bad escape
  EXPECT_EQ(post(id, "t=" + t + "&reason=%4").status, 400);     // cut escape
  HttpRequest put;
  put.method = "PUT";
  put.path = put.target = "/v1/approvals/" + id + "/link";
  EXPECT_EQ(api_->handle(put).status, 405);
  EXPECT_EQ(votes(id), 0u);
  EXPECT_EQ(post(id, "t=" + t, "application/x-www-form-urlencoded; charset=UTF-8").status, 200);
}

TEST_F(ApprovalLinkApiTest, WithoutLinksConfiguredThereAreNone) {
  open(R"({"groups":["soc"]})", false);
  const std::string id = request();
  EXPECT_TRUE(links(id).empty());
  const std::string t = policy::signApprovalLink(
      kKey, policy::LinkClaims{id, "alice", "approve", clock_.nowMillis() + 60'000});
  EXPECT_EQ(get(id, t).status, 404);
  EXPECT_EQ(post(id, "t=" + t).status, 404);
  EXPECT_EQ(votes(id), 0u);
}

}  // namespace
}  // namespace riposte::server
