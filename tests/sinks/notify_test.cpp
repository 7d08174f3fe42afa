// Notifications to people (sinks/notify.h): which audit records become notices, and each
// service's message, posted to local receivers that check the service's documented request
// format (Slack Block Kit incoming webhooks, Microsoft Teams Adaptive Cards, PagerDuty Events
// API v2, Jira's create-issue REST API, generic JSON); the webhook sink's delivery through the
// SinkRunner (starts at the log's end, sends each record once, retries, rejects).
//
// The receivers are doubles (none of these services runs on loopback); each checks the fields
// and limits its API reference documents:
//   Slack      https://api.slack.com/reference/block-kit/blocks (header: plain_text <= 150;
//              section text <= 3000; actions: <= 25 elements; button text plain_text <= 75,
//              url <= 3000, style primary|danger, action_id unique <= 255; <= 50 blocks)
//   Teams      https://adaptivecards.io/explorer/ (message with an attachment of contentType
//              application/vnd.microsoft.card.adaptive; AdaptiveCard, version; Action.OpenUrl
//              with title and url)
//   PagerDuty  https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ (routing_key
//              32 characters, event_action trigger|acknowledge|resolve, dedup_key <= 255;
//              trigger: payload.summary <= 1024, source, severity critical|error|warning|info;
//              202 {"status":"success","dedup_key"})
//   Jira       POST /rest/api/2/issue (Basic auth; fields.project.key, issuetype.name, summary
//              <= 255 characters on one line; 201 {"id","key","self"})
#include "sinks/notify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>

#include "core/text.h"
#include "server/http_server.h"
#include "sinks/builtin.h"
#include "sinks/runner.h"

namespace riposte::sinks {
namespace {

std::string S(const json::value& v) {
  return std::string(v.as_string());
}

const std::string kHostile = "<script>alert(1)</script> <!channel> *bold* [x](http://evil)";

store::AuditRecord rec(int64_t seq, std::string kind, json::object data) {
  return store::AuditRecord{seq, 1'700'000'000'000 + seq, std::move(kind), toJson(data)};
}

store::AuditRecord requested(int64_t seq) {
  return rec(seq, "approval.requested",
             json::object{
                 {"approvalId", "apr-1"},
                 {"incident_id", "inc-1"},
                 {"execution_id", "exe-1"},
                 {"state", "Approve"},
                 {"incident", json::object{{"title", kHostile},
                                           {"severity", 8.0},
                                           {"resource_id", "i-0abc"},
                                           {"finding_type", "Backdoor:EC2/C&CActivity.B"}}},
                 {"approval",
                  json::object{
                      {"approvers", json::array{"alice", "bob"}},
                      {"quorum", 1},
                      {"summary", "isolate the instance"},
                      {"plan", json::object{{"next", json::array{json::object{
                                                         {"state", "Isolate"},
                                                         {"action", "aws.ec2.isolateInstance"}}}}}},
                      {"onTimeout", "deny"},
                      {"deadlineMs", 1'700'003'600'000}}}});
}

store::AuditRecord failedStep(int64_t seq, const std::string& error) {
  return rec(seq, "execution.step",
             json::object{{"execution_id", "exe-1"},
                          {"incident_id", "inc-1"},
                          {"type", "ExecutionFailed"},
                          {"details", json::object{{"error", error}, {"cause", kHostile}}}});
}

store::AuditRecord incidentStatus(int64_t seq, const std::string& status) {
  return rec(seq, "incident.status",
             json::object{{"incident", json::object{{"id", "inc-1"},
                                                    {"status", status},
                                                    {"severity", 8.0},
                                                    {"title", kHostile},
                                                    {"finding_type", "Backdoor:EC2/X"}}}});
}

json::object fakeLinks(const json::object& requested) {
  json::object out;
  for (const auto& a : requested.at("approval").at("approvers").as_array()) {
    const std::string who(a.as_string());
    out[who] = json::object{
        {"approve", "https://riposte.example.com/v1/approvals/apr-1/link?t=" + who + "-approve"},
        {"deny", "https://riposte.example.com/v1/approvals/apr-1/link?t=" + who + "-deny"}};
  }
  return out;
}

TEST(NoticeOf, ClassifiesTheRecordsAPersonMustHearAbout) {
  auto a = noticeOf(requested(1), fakeLinks);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->event, "approval");
  EXPECT_EQ(a->pager_action, "trigger");
  EXPECT_EQ(a->severity, "critical");  // the finding's 8
  EXPECT_EQ(a->approval_id, "apr-1");
  EXPECT_EQ(a->links.size(), 2u);
  EXPECT_NE(a->title.find("isolate the instance"), std::string::npos);
  EXPECT_NE(std::find(a->lines.begin(), a->lines.end(), "Plan: Isolate (aws.ec2.isolateInstance)"),
            a->lines.end());

  auto f = noticeOf(failedStep(2, "ContainmentFailed"), fakeLinks);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->event, "failure");
  EXPECT_EQ(f->incident_id, "inc-1");
  EXPECT_NE(f->title.find("ContainmentFailed"), std::string::npos);

  // A person denied it: not a failure to be alerted of.
  EXPECT_FALSE(noticeOf(failedStep(3, "riposte.ApprovalDenied"), fakeLinks));
  // Any other step is nothing to tell.
  EXPECT_FALSE(noticeOf(rec(4, "execution.step",
                            json::object{{"type", "TaskSucceeded"}, {"details", json::object{}}}),
                        fakeLinks));
  EXPECT_FALSE(
      noticeOf(rec(5, "action.finished", json::object{{"status", "succeeded"}}), fakeLinks));

  auto t = noticeOf(rec(6, "approval.decided",
                        json::object{{"approvalId", "apr-1"},
                                     {"incident_id", "inc-1"},
                                     {"status", "denied"},
                                     {"decidedBy", "timeout"}}),
                    fakeLinks);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->event, "failure");  // nobody decided in time
  auto d = noticeOf(rec(7, "approval.decided",
                        json::object{{"approvalId", "apr-1"},
                                     {"incident_id", "inc-1"},
                                     {"status", "approved"},
                                     {"approver", "alice"},
                                     {"decidedBy", "quorum"}}),
                    fakeLinks);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->event, "approval");
  EXPECT_TRUE(d->pager_action.empty());

  auto c = noticeOf(incidentStatus(8, "contained"), fakeLinks);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->event, "incident");
  EXPECT_EQ(c->pager_action, "resolve");
  EXPECT_TRUE(noticeOf(incidentStatus(9, "failed"), fakeLinks)->pager_action.empty());

  // Not JSON: nothing (the sink passes it).
  EXPECT_FALSE(noticeOf(store::AuditRecord{10, 0, "approval.requested", "{"}, fakeLinks));
}

TEST(NoticeOf, TheBreakerOpeningAndClosing) {
  auto o = noticeOf(rec(1, "breaker.opened",
                        json::object{{"incident_id", "inc-7"},
                                     {"action", "aws.ec2.isolateInstance"},
                                     {"count", 21},
                                     {"threshold", 20},
                                     {"window_ms", 600000},
                                     {"reason", "more than 20 executions in 10 minutes"}}),
                    fakeLinks);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->event, "breaker");
  EXPECT_EQ(o->title, "circuit breaker opened");
  EXPECT_EQ(o->pager_action, "trigger");
  EXPECT_EQ(o->dedup_key, "riposte-breaker");
  EXPECT_EQ(renderSns(*o).subject, "riposte: circuit breaker opened");
  EXPECT_NE(renderSns(*o).message.find("riposte breaker close"), std::string::npos);
  WebhookFormat pd;
  pd.format = "pagerduty";
  pd.routing_key = "k";
  EXPECT_EQ(S(renderWebhook(pd, *o)->at("dedup_key")), "riposte-breaker");
  auto c = noticeOf(
      rec(2, "breaker.closed", json::object{{"closed_by", "alice"}, {"reason", "ok"}}), fakeLinks);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->event, "breaker");
  EXPECT_EQ(c->pager_action, "resolve");
  EXPECT_EQ(S(renderWebhook(pd, *c)->at("event_action")), "resolve");
}

TEST(OneLine, BoundsBytesAtACharacterAndDropsControls) {
  EXPECT_EQ(oneLine("a\nb\tc", 10), "a b c");
  const std::string s = oneLine("ééééé", 6);  // 10 bytes; cut to 3 + "…"
  EXPECT_LE(s.size(), 6u);
  EXPECT_EQ(s, "é…");
}

TEST(RenderSns, SubjectIsOneAsciiLineUnder100) {
  auto n = noticeOf(failedStep(1, std::string(200, 'E') + "é\n"), fakeLinks);
  ASSERT_TRUE(n);
  auto m = renderSns(*n);
  EXPECT_LT(m.subject.size(), 100u);
  for (char c : m.subject) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20);
    EXPECT_LT(static_cast<unsigned char>(c), 0x7f);
  }
  auto a = renderSns(*noticeOf(requested(2), fakeLinks));
  EXPECT_NE(a.message.find("Approve as alice: https://riposte.example.com/"), std::string::npos);
}

// --- the receivers ---

struct Receiver {
  explicit Receiver(std::function<server::HttpResponse(const server::HttpRequest&)> check)
      : check_(std::move(check)) {
    server::HttpServerOptions o;
    o.port = 0;
    server_ = std::make_unique<server::HttpServer>(o, [this](const server::HttpRequest& r) {
      std::lock_guard lock(mu);
      requests.push_back(r);
      if (down) return server::HttpResponse::json(503, R"({"error":"busy"})");
      return check_(r);
    });
    EXPECT_TRUE(server_->start());
  }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  std::mutex mu;
  std::vector<server::HttpRequest> requests;
  std::vector<std::string> problems;
  bool down = false;

 private:
  std::function<server::HttpResponse(const server::HttpRequest&)> check_;
  std::unique_ptr<server::HttpServer> server_;
};

// Appends to `problems` what the request does wrong; the answer is 400 when anything does.
server::HttpResponse verdict(std::vector<std::string>& problems, std::size_t before, long ok,
                             const std::string& ok_body) {
  if (problems.size() > before) return server::HttpResponse::json(400, R"({"error":"invalid"})");
  server::HttpResponse r = server::HttpResponse::json(static_cast<int>(ok), ok_body);
  return r;
}

// Every text object in Slack blocks is plain_text: finding text is never read as mrkdwn.
void slackTexts(const json::value& v, std::vector<std::string>& problems) {
  if (const auto* o = v.if_object()) {
    if (const json::value* t = o->if_contains("type"); t && t->is_string() && S(*t) == "mrkdwn")
      problems.push_back("a mrkdwn text object");
    for (const auto& [k, x] : *o) slackTexts(x, problems);
  } else if (const auto* a = v.if_array()) {
    for (const auto& x : *a) slackTexts(x, problems);
  }
}

server::HttpResponse slackCheck(const server::HttpRequest& r, std::vector<std::string>& p) {
  const std::size_t before = p.size();
  if (r.method != "POST" || r.header("content-type").find("application/json") != 0)
    p.push_back("not a JSON POST");
  auto v = parseJson(r.body);
  if (!v || !v->is_object()) {
    p.push_back("body is not a JSON object");
    return verdict(p, before, 200, "ok");
  }
  const auto& o = v->as_object();
  if (!o.contains("text") || !o.at("text").is_string()) p.push_back("no fallback text");
  const auto& blocks = o.at("blocks").as_array();
  if (blocks.size() > 50) p.push_back("more than 50 blocks");
  std::set<std::string> action_ids;
  for (const auto& b : blocks) {
    const std::string type = S(b.at("type"));
    if (type == "header") {
      if (S(b.at("text").at("type")) != "plain_text") p.push_back("header text not plain_text");
      if (b.at("text").at("text").as_string().size() > 150) p.push_back("header over 150");
    } else if (type == "section") {
      if (b.at("text").at("text").as_string().size() > 3000) p.push_back("section over 3000");
    } else if (type == "actions") {
      const auto& els = b.at("elements").as_array();
      if (els.size() > 25) p.push_back("more than 25 elements");
      for (const auto& e : els) {
        if (S(e.at("type")) != "button") p.push_back("an element that is not a button");
        if (S(e.at("text").at("type")) != "plain_text") p.push_back("button text not plain_text");
        if (e.at("text").at("text").as_string().size() > 75) p.push_back("button text over 75");
        if (e.at("url").as_string().size() > 3000) p.push_back("url over 3000");
        const std::string style = S(e.at("style"));
        if (style != "primary" && style != "danger") p.push_back("style " + style);
        if (!action_ids.insert(S(e.at("action_id"))).second) p.push_back("action_id repeated");
      }
    } else if (type != "context") {
      p.push_back("unknown block type " + type);
    }
  }
  slackTexts(*v, p);
  return verdict(p, before, 200, "ok");
}

server::HttpResponse teamsCheck(const server::HttpRequest& r, std::vector<std::string>& p) {
  const std::size_t before = p.size();
  auto v = parseJson(r.body);
  if (!v) {
    p.push_back("not JSON");
    return verdict(p, before, 202, "{}");
  }
  if (S(v->at("type")) != "message") p.push_back("type is not message");
  const auto& att = v->at("attachments").as_array();
  if (att.size() != 1) p.push_back("not one attachment");
  const auto& a = att.at(0);
  if (S(a.at("contentType")) != "application/vnd.microsoft.card.adaptive")
    p.push_back("contentType");
  const auto& card = a.at("content");
  if (S(card.at("type")) != "AdaptiveCard") p.push_back("not an AdaptiveCard");
  if (S(card.at("version")).empty()) p.push_back("no version");
  for (const auto& e : card.at("body").as_array()) {
    // Only RichTextBlock of TextRun: no markdown is read from finding text.
    if (S(e.at("type")) != "RichTextBlock") p.push_back("body element " + S(e.at("type")));
    for (const auto& i : e.at("inlines").as_array())
      if (S(i.at("type")) != "TextRun") p.push_back("inline " + S(i.at("type")));
  }
  if (const json::value* acts = card.as_object().if_contains("actions"))
    for (const auto& act : acts->as_array()) {
      if (S(act.at("type")) != "Action.OpenUrl") p.push_back("action " + S(act.at("type")));
      if (S(act.at("title")).empty() || S(act.at("url")).empty()) p.push_back("action fields");
    }
  return verdict(p, before, 202, "1");
}

server::HttpResponse pagerdutyCheck(const server::HttpRequest& r, std::vector<std::string>& p) {
  const std::size_t before = p.size();
  if (r.path != "/v2/enqueue") p.push_back("path " + r.path);
  auto v = parseJson(r.body);
  if (!v) {
    p.push_back("not JSON");
    return verdict(p, before, 202, "{}");
  }
  const auto& o = v->as_object();
  if (S(o.at("routing_key")).size() != 32) p.push_back("routing_key is not 32 characters");
  const std::string action = S(o.at("event_action"));
  if (action != "trigger" && action != "acknowledge" && action != "resolve")
    p.push_back("event_action " + action);
  if (S(o.at("dedup_key")).empty() || S(o.at("dedup_key")).size() > 255) p.push_back("dedup_key");
  if (action == "trigger") {
    const auto& pl = o.at("payload").as_object();
    if (S(pl.at("summary")).empty() || S(pl.at("summary")).size() > 1024) p.push_back("summary");
    if (S(pl.at("source")).empty()) p.push_back("source");
    const std::string sev = S(pl.at("severity"));
    if (sev != "critical" && sev != "error" && sev != "warning" && sev != "info")
      p.push_back("severity " + sev);
  }
  return verdict(p, before, 202,
                 R"({"status":"success","message":"Event processed","dedup_key":")" +
                     S(o.at("dedup_key")) + "\"}");
}

std::string basic(const std::string& cred) {
  return "Basic " + text::base64Encode(cred);
}

server::HttpResponse jiraCheck(const server::HttpRequest& r, std::vector<std::string>& p) {
  const std::size_t before = p.size();
  if (r.path != "/rest/api/2/issue") p.push_back("path " + r.path);
  if (r.header("authorization") != basic("soc@example.com:jira-token"))
    return server::HttpResponse::json(401, R"({"errorMessages":["unauthorized"]})");
  auto v = parseJson(r.body);
  if (!v) {
    p.push_back("not JSON");
    return verdict(p, before, 201, "{}");
  }
  const auto& f = v->at("fields");
  if (S(f.at("project").at("key")) != "SEC") p.push_back("project");
  if (S(f.at("issuetype").at("name")).empty()) p.push_back("issuetype");
  const std::string summary = S(f.at("summary"));
  if (summary.empty() || summary.size() > 255 || summary.find('\n') != std::string::npos)
    p.push_back("summary");
  return verdict(
      p, before, 201,
      R"({"id":"10001","key":"SEC-1","self":"https://jira.example/rest/api/2/issue/10001"})");
}

struct Harness {
  explicit Harness(const std::string& format) {
    rx = std::make_unique<Receiver>([this, format](const server::HttpRequest& r) {
      if (format == "slack") return slackCheck(r, rx->problems);
      if (format == "teams") return teamsCheck(r, rx->problems);
      if (format == "pagerduty") return pagerdutyCheck(r, rx->problems);
      if (format == "jira") return jiraCheck(r, rx->problems);
      return server::HttpResponse::json(200, "{}");
    });
    WebhookSinkConfig c;
    c.name = format;
    c.format.format = format;
    c.url = format == "pagerduty" ? rx->url("/v2/enqueue")
            : format == "jira"    ? rx->url("/rest/api/2/issue")
                                  : rx->url();
    c.format.routing_key = "R0UT1NGKEY0123456789abcdefABCDEF";
    c.format.project = "SEC";
    if (format == "jira")
      c.headers.emplace_back("Authorization", basic("soc@example.com:jira-token"));
    c.events = {"approval", "failure", "incident"};
    sink = makeWebhookSink(std::move(c), aws::makeCurlTransport(), fakeLinks);
  }
  json::value body(std::size_t i) {
    std::lock_guard lock(rx->mu);
    return parseJson(rx->requests.at(i).body).value();
  }
  std::unique_ptr<Receiver> rx;
  std::unique_ptr<Sink> sink;
};

std::vector<store::AuditRecord> story() {
  return {requested(1), failedStep(2, "ContainmentFailed"), incidentStatus(3, "contained")};
}

TEST(WebhookFormats, SlackBlockKitWithTheSignedLinksAsButtons) {
  Harness h("slack");
  ASSERT_TRUE(h.sink->send(story()));
  ASSERT_EQ(h.rx->requests.size(), 3u);
  EXPECT_TRUE(h.rx->problems.empty()) << h.rx->problems.front();
  auto b = h.body(0);
  std::vector<std::string> urls;
  for (const auto& blk : b.at("blocks").as_array())
    if (S(blk.at("type")) == "actions")
      for (const auto& e : blk.at("elements").as_array()) urls.push_back(S(e.at("url")));
  ASSERT_EQ(urls.size(), 4u);  // approve and deny for alice and bob
  EXPECT_EQ(urls[0], "https://riposte.example.com/v1/approvals/apr-1/link?t=alice-approve");
  // The hostile title is in a plain_text section (checked above), as typed.
  EXPECT_NE(h.rx->requests[0].body.find("<script>"), std::string::npos);
}

TEST(WebhookFormats, TeamsAdaptiveCard) {
  Harness h("teams");
  ASSERT_TRUE(h.sink->send(story()));
  ASSERT_EQ(h.rx->requests.size(), 3u);
  EXPECT_TRUE(h.rx->problems.empty()) << h.rx->problems.front();
  const auto body = h.body(0);
  const auto& card = body.at("attachments").at(0).at("content");
  EXPECT_EQ(card.at("actions").as_array().size(), 4u);
  EXPECT_EQ(S(card.at("actions").at(1).at("title")), "Deny as alice");
}

TEST(WebhookFormats, PagerDutyTriggersAndResolvesOnTheIncident) {
  Harness h("pagerduty");
  ASSERT_TRUE(h.sink->send(story()));
  ASSERT_EQ(h.rx->requests.size(), 3u);
  EXPECT_TRUE(h.rx->problems.empty()) << h.rx->problems.front();
  EXPECT_EQ(S(h.body(0).at("event_action")), "trigger");
  EXPECT_EQ(S(h.body(0).at("dedup_key")), "inc-1");
  EXPECT_EQ(S(h.body(1).at("event_action")), "trigger");
  EXPECT_EQ(S(h.body(2).at("event_action")), "resolve");
  EXPECT_EQ(S(h.body(2).at("dedup_key")), "inc-1");
  // An approval decided by a person says nothing to PagerDuty (the incident's status will).
  ASSERT_TRUE(h.sink->send({rec(4, "approval.decided",
                                json::object{{"approvalId", "apr-1"},
                                             {"incident_id", "inc-1"},
                                             {"status", "approved"},
                                             {"decidedBy", "quorum"}})}));
  EXPECT_EQ(h.rx->requests.size(), 3u);
}

TEST(WebhookFormats, JiraCreatesAnIssueWithFindingTextInNoformat) {
  Harness h("jira");
  ASSERT_TRUE(h.sink->send({failedStep(1, "ContainmentFailed")}));
  ASSERT_EQ(h.rx->requests.size(), 1u);
  EXPECT_TRUE(h.rx->problems.empty()) << h.rx->problems.front();
  const std::string d = S(h.body(0).at("fields").at("description"));
  EXPECT_EQ(d.rfind("{noformat}\n", 0), 0u);
  EXPECT_NE(d.find("[x](http://evil)"), std::string::npos);  // inside the noformat block
}

TEST(WebhookFormats, GenericCarriesTheRecord) {
  Harness h("generic");
  ASSERT_TRUE(h.sink->send({requested(1)}));
  auto b = h.body(0);
  EXPECT_EQ(S(b.at("event")), "approval");
  EXPECT_EQ(S(b.at("record").at("approvalId")), "apr-1");
  EXPECT_EQ(S(b.at("links").at("bob").at("deny")),
            "https://riposte.example.com/v1/approvals/apr-1/link?t=bob-deny");
}

TEST(WebhookSink, OnlyTheSubscribedEvents) {
  Receiver rx([](const server::HttpRequest&) { return server::HttpResponse::json(200, "{}"); });
  WebhookSinkConfig c;
  c.name = "failures";
  c.format.format = "generic";
  c.url = rx.url();
  c.events = {"failure"};
  auto sink = makeWebhookSink(std::move(c), aws::makeCurlTransport(), fakeLinks);
  ASSERT_TRUE(sink->send(story()));
  ASSERT_EQ(rx.requests.size(), 1u);
  EXPECT_EQ(S(parseJson(rx.requests[0].body).value().at("event")), "failure");
}

TEST(WebhookSink, ARetriedBatchSendsNothingTwiceAndMalformedIsRejected) {
  int answered = 0;
  Receiver rx([&answered](const server::HttpRequest&) {
    // The second message fails once with 503, then the service takes everything.
    if (++answered == 2) return server::HttpResponse::json(503, "{}");
    return server::HttpResponse::json(200, "{}");
  });
  WebhookSinkConfig c;
  c.name = "g";
  c.format.format = "generic";
  c.url = rx.url();
  c.events = {"approval", "failure", "incident"};
  auto sink = makeWebhookSink(std::move(c), aws::makeCurlTransport(), fakeLinks);
  auto first = sink->send(story());
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, kSinkUnavailable);
  ASSERT_TRUE(sink->send(story()));  // the runner sends the batch again
  std::vector<int64_t> seqs;
  for (const auto& r : rx.requests) seqs.push_back(parseJson(r.body).value().at("seq").as_int64());
  EXPECT_EQ(seqs, (std::vector<int64_t>{1, 2, 2, 3}));  // record 1 once; 2 retried

  Receiver bad([](const server::HttpRequest&) {
    return server::HttpResponse::json(400, R"({"error":"invalid_blocks"})");
  });
  WebhookSinkConfig b;
  b.name = "b";
  b.format.format = "slack";
  b.url = bad.url();
  b.events = {"failure"};
  auto rejecting = makeWebhookSink(std::move(b), aws::makeCurlTransport(), fakeLinks);
  auto r = rejecting->send({failedStep(1, "X")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kSinkRejected);
  EXPECT_NE(r.error().message.find("invalid_blocks"), std::string::npos);
}

TEST(WebhookSink, StartsAtTheEndOfTheAuditLogTheFirstTime) {
  auto st = store::openStore("sqlite::memory:");
  ASSERT_TRUE(st) << st.error().str();
  std::shared_ptr<store::Store> s = std::move(*st);
  // History from before the sink existed: an incident opened (audit seq 1…).
  store::IncidentRecord inc;
  inc.id = "inc-old";
  inc.dedup_key = "old";
  inc.title = "old";
  inc.created_ms = inc.updated_ms = 1;
  ASSERT_TRUE(s->upsertIncident(inc, "ev-old"));
  const int64_t head = s->auditHead().value();
  ASSERT_GT(head, 0);

  Receiver rx([](const server::HttpRequest&) { return server::HttpResponse::json(200, "{}"); });
  WebhookSinkConfig c;
  c.name = "incidents";
  c.format.format = "generic";
  c.url = rx.url();
  c.events = {"incident"};
  SinkRunner runner(s, makeWebhookSink(std::move(c), aws::makeCurlTransport(), fakeLinks));
  ASSERT_TRUE(runner.runOnce());
  EXPECT_TRUE(rx.requests.empty());  // the history is not told
  EXPECT_EQ(s->sinkCursor("incidents").value(), head);

  store::IncidentRecord now = inc;
  now.id = "inc-new";
  now.dedup_key = "new";
  now.title = "new";
  ASSERT_TRUE(s->upsertIncident(now, "ev-new"));
  ASSERT_TRUE(runner.runOnce());
  ASSERT_EQ(rx.requests.size(), 1u);
  EXPECT_EQ(S(parseJson(rx.requests[0].body).value().at("incidentId")), "inc-new");
}

// The first run on an empty log places the cursor at 0 (written): a restart before anything was
// delivered does not skip what was written meanwhile (the breaker's alert after a kill -9).
TEST(WebhookSink, AFirstRunOnAnEmptyLogSkipsNothingAcrossARestart) {
  auto st = store::openStore("sqlite::memory:");
  ASSERT_TRUE(st) << st.error().str();
  std::shared_ptr<store::Store> s = std::move(*st);
  Receiver rx([](const server::HttpRequest&) { return server::HttpResponse::json(200, "{}"); });
  auto sink = [&] {
    WebhookSinkConfig c;
    c.name = "incidents";
    c.format.format = "generic";
    c.url = rx.url();
    c.events = {"incident"};
    return makeWebhookSink(std::move(c), aws::makeCurlTransport(), fakeLinks);
  };
  {
    SinkRunner first(s, sink());
    first.start();  // places the cursor: the log is empty
    first.stop();
  }
  EXPECT_EQ(s->sinkCursorIfSet("incidents").value(), std::optional<int64_t>(0));
  store::IncidentRecord inc;
  inc.id = "inc-1";
  inc.dedup_key = "k";
  inc.title = "while down";
  inc.created_ms = inc.updated_ms = 1;
  ASSERT_TRUE(s->upsertIncident(inc, "ev-1"));  // written while no runner runs
  SinkRunner again(s, sink());
  ASSERT_TRUE(again.runOnce());
  ASSERT_EQ(rx.requests.size(), 1u);
  EXPECT_EQ(S(parseJson(rx.requests[0].body).value().at("incidentId")), "inc-1");
}

}  // namespace
}  // namespace riposte::sinks
