// engine/guardduty_filters.h against moto's GuardDuty filters, read back with the real AWS CLI
// (aws guardduty get-filter): a suppression marked `guardduty: archive` becomes a filter with
// action ARCHIVE; a changed reason updates it; a filter riposte did not make is left alone;
// deleted or expired suppressions delete their filters; every change is an action record and
// in the audit log.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "engine/guardduty_filters.h"
#include "store/store.h"
#include "support/moto_server.h"

namespace riposte::engine {
namespace {

class GuardDutyFiltersMotoTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    FilterSync::declareMetrics(metrics_);
    aws_ = riposte::testing::makeMotoClient(moto());
    auto s = store::openStore("sqlite::memory:");
    ASSERT_TRUE(s) << s.error().str();
    store_ = std::move(*s);
    aws::Call create{.service = "guardduty", .region = "us-east-1", .action = "CreateDetector"};
    create.method = "POST";
    create.path = "/detector";
    create.body = json::object{{"enable", true}};
    auto d = aws_->restJson(create);
    ASSERT_TRUE(d) << d.error().str();
    detector_ = std::string(d->at("detectorId").as_string());
  }

  // The AWS CLI against moto: its JSON output, or null when it failed (status in `rc`).
  json::value cli(const std::string& args, int* rc = nullptr) {
    const std::string cmd =
        "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
        "AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null "
        "aws --output json --endpoint-url " +
        moto().endpoint() + " guardduty " + args + " 2>/dev/null";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return nullptr;
    char buf[4096];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    const int status = pclose(p);
    if (rc) *rc = status;
    if (status != 0) return nullptr;
    auto v = parseJson(out);
    return v ? *v : json::value(nullptr);
  }
  json::value getFilter(const std::string& name, int* rc = nullptr) {
    return cli("get-filter --detector-id " + detector_ + " --filter-name " + name, rc);
  }

  policy::Suppression suppression(const std::string& name, const std::string& reason,
                                  const std::string& type) {
    policy::Problems problems;
    auto s = policy::parseSuppression(
        *parseJson(
            R"({"name":")" + name + R"(","reason":")" + reason +
            R"(","owner":"secops","guardduty":"archive","match":{"pattern":{"source":["aws.guardduty"],"detail":{"type":[")" +
            type + R"("],"severity":[{"numeric":[">=",2,"<",4]}]}}}})"),
        "s", policy::Origin::kStore, clock_.nowMillis(), problems);
    EXPECT_TRUE(s) << (problems.empty() ? "" : problems[0].message);
    return s ? *s : policy::Suppression{};
  }

  ManualClock clock_;
  Metrics metrics_;
  std::shared_ptr<aws::Client> aws_;
  std::unique_ptr<store::Store> store_;
  std::string detector_;
};

TEST_F(GuardDutyFiltersMotoTest, SuppressionBecomesAnArchiveFilterThenFollowsIt) {
  FilterSync fs(*store_, clock_, metrics_);
  fs.configure(policy::GuardDutySettings{detector_, "us-east-1"}, "us-east-1", aws_);
  auto pentest = suppression("pentest", "Scheduled pentest CHG-1", "Recon:EC2/Portscan");

  auto r = fs.sync({pentest});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->at("created"), json::value(1)) << json::serialize(*r);
  json::value f = getFilter("riposte-pentest");
  ASSERT_TRUE(f.is_object()) << "aws guardduty get-filter found no riposte-pentest";
  EXPECT_EQ(f.at("Action"), json::value("ARCHIVE"));
  EXPECT_EQ(f.at("Description"),
            json::value("riposte suppression pentest: Scheduled pentest CHG-1"));
  EXPECT_EQ(f.at("FindingCriteria").at("Criterion"),
            *parseJson(R"({"type":{"Equals":["Recon:EC2/Portscan"]},)"
                       R"("severity":{"GreaterThanOrEqual":2,"LessThan":4}})"));

  // Nothing changed: nothing is written.
  r = fs.sync({pentest});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("unchanged"), json::value(1)) << json::serialize(*r);
  EXPECT_EQ(r->at("created"), json::value(0));

  // A changed reason and pattern: the filter is updated.
  pentest =
      suppression("pentest", "Extended to the whole quarter", "Recon:EC2/PortProbeUnprotectedPort");
  r = fs.sync({pentest});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("updated"), json::value(1)) << json::serialize(*r);
  f = getFilter("riposte-pentest");
  ASSERT_TRUE(f.is_object());
  EXPECT_EQ(f.at("Description"),
            json::value("riposte suppression pentest: Extended to the whole quarter"));
  EXPECT_EQ(f.at("FindingCriteria").at("Criterion").at("type"),
            *parseJson(R"({"Equals":["Recon:EC2/PortProbeUnprotectedPort"]})"));

  // A filter of a wanted name that riposte did not make is left alone, and said.
  int rc = 0;
  ASSERT_TRUE(cli("create-filter --detector-id " + detector_ +
                      " --name riposte-theirs --action NOOP --finding-criteria "
                      "'{\"Criterion\":{\"type\":{\"Equals\":[\"X\"]}}}'",
                  &rc)
                  .is_object())
      << rc;
  auto theirs = suppression("theirs", "Not ours", "Y");
  r = fs.sync({pentest, theirs});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->at("errors").as_array().size(), 1u) << json::serialize(*r);
  EXPECT_NE(std::string(r->at("errors").as_array()[0].as_string()).find("did not create"),
            std::string::npos);
  EXPECT_EQ(getFilter("riposte-theirs").at("Action"), json::value("NOOP"));

  // The suppression is gone: riposte deletes its own filter, and only it.
  r = fs.sync({theirs});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("deleted"), json::value(1)) << json::serialize(*r);
  EXPECT_TRUE(getFilter("riposte-pentest", &rc).is_null());
  EXPECT_NE(rc, 0);
  EXPECT_TRUE(getFilter("riposte-theirs").is_object());

  // Every change is recorded: create, update, delete, each in the audit log.
  auto audit = store_->readAudit(0, 100);
  ASSERT_TRUE(audit);
  std::vector<std::string> actions;
  for (const auto& a : *audit) {
    if (a.kind != "action.finished") continue;
    auto j = parseJson(a.json);
    actions.push_back(std::string(j->at("action").as_string()) + " " +
                      std::string(j->at("status").as_string()));
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"aws.guardduty.createFilter succeeded",
                                               "aws.guardduty.updateFilter succeeded",
                                               "aws.guardduty.deleteFilter succeeded",
                                               // the create record, done with
                                               "aws.guardduty.createFilter released"}));
  EXPECT_NE(
      metrics_.render().find(
          R"(riposte_guardduty_filter_changes_total{op="createFilter",outcome="succeeded"} 1)"),
      std::string::npos)
      << metrics_.render();
}

TEST_F(GuardDutyFiltersMotoTest, AnExpiredSuppressionsFilterIsDeletedByTheNextSync) {
  FilterSync fs(*store_, clock_, metrics_);
  fs.configure(policy::GuardDutySettings{detector_, "us-east-1"}, "us-east-1", aws_);
  auto s = suppression("scanner", "Weekly scan", "Recon:EC2/Portscan");
  s.expires_ms = clock_.nowMillis() + 3'600'000;
  ASSERT_TRUE(fs.sync({s}));
  EXPECT_TRUE(getFilter("riposte-scanner").is_object());
  EXPECT_FALSE(fs.due(0));
  clock_.advance(std::chrono::hours(2));
  EXPECT_TRUE(fs.due(0));  // a minute passed: the expiry is seen without any other change
  auto r = fs.sync({s});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("deleted"), json::value(1)) << json::serialize(*r);
  EXPECT_TRUE(getFilter("riposte-scanner").is_null());

  // Without a detector configured any more, what riposte made is still deleted.
  ASSERT_TRUE(fs.sync({suppression("again", "r", "T")}).has_value());
  EXPECT_TRUE(getFilter("riposte-again").is_object());
  FilterSync later(*store_, clock_, metrics_);
  later.configure(std::nullopt, "us-east-1", aws_);
  r = later.sync({});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("deleted"), json::value(1)) << json::serialize(*r);
  EXPECT_TRUE(getFilter("riposte-again").is_null());
}

}  // namespace
}  // namespace riposte::engine
