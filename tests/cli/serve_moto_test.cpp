// A reload restarts the SQS pollers whose queue changed and leaves the others polling (moto
// plays SQS): a queue added is polled from the reload on, a queue removed is polled no more.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/serve_runtime.h"
#include "support/moto_server.h"

namespace riposte::cli {
namespace {

namespace fs = std::filesystem;

class ServeSqsTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    dir_ = fs::temp_directory_path() / ("riposte-serve-sqs-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "c" / "rules");
    std::ofstream(dir_ / "c" / "rules" / "app.yaml")
        << "name: record-app\nevent_pattern:\n  source: [\"my.app\"]\n";
    qa_ = queue("qa");
    qb_ = queue("qb");
  }
  void TearDown() override {
    supervisor_.reset();
    runtime_.reset();
    fs::remove_all(dir_);
  }

  std::string queue(const std::string& name) {
    auto r = client().jsonRpc({.service = "sqs",
                               .region = "us-east-1",
                               .action = "AmazonSQS.CreateQueue",
                               .body = {{"QueueName", name}},
                               .json_version = "1.0"});
    EXPECT_TRUE(r) << r.error().str();
    return r ? std::string(r->at("QueueUrl").as_string()) : std::string();
  }
  void send(const std::string& url, const std::string& event_id) {
    json::object ev{
        {"id", event_id}, {"source", "my.app"}, {"detail-type", "x"}, {"detail", json::object{}}};
    auto r = client().jsonRpc({.service = "sqs",
                               .region = "us-east-1",
                               .action = "AmazonSQS.SendMessage",
                               .body = {{"QueueUrl", url}, {"MessageBody", json::serialize(ev)}},
                               .json_version = "1.0"});
    ASSERT_TRUE(r) << r.error().str();
  }
  void configure(const std::vector<std::string>& queues) {
    std::ofstream y(dir_ / "c" / "riposte.yaml");
    y << "store: sqlite://" << (dir_ / "r.db").string() << "\nlisten: 127.0.0.1:0\n";
    if (queues.empty()) return;
    y << "sources:\n  sqs:\n";
    for (const auto& q : queues) y << "    - {queue_url: \"" << q << "\", wait_seconds: 1}\n";
  }
  bool stored(const std::string& id, int wait_ms) {
    for (int waited = 0;; waited += 50) {
      auto ev = runtime_->engine()->store().getEvent(id);
      if (ev && *ev) return true;
      if (waited >= wait_ms) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  static std::vector<std::string> strings(const json::value& v) {
    std::vector<std::string> out;
    for (const auto& e : v.as_array()) out.emplace_back(e.as_string());
    return out;
  }

  fs::path dir_;
  std::string qa_, qb_;
  std::unique_ptr<ServeRuntime> runtime_;
  std::unique_ptr<Supervisor> supervisor_;
};

using Names = std::vector<std::string>;

TEST_F(ServeSqsTest, AReloadRestartsOnlyTheQueuesThatChanged) {
  configure({qa_});
  ServeOptions opt;
  opt.config_dir = (dir_ / "c").string();
  opt.engine.worker_id = "test";
  opt.aws = std::shared_ptr<aws::Client>(riposte::testing::makeMotoClient(moto()));
  LoadResult loaded = opt.loader(opt.config_dir);
  ASSERT_TRUE(loaded.config) << (loaded.problems.empty() ? "" : loaded.problems[0]);
  runtime_ = std::make_unique<ServeRuntime>(std::move(opt), std::move(*loaded.config));
  supervisor_ = std::make_unique<Supervisor>();
  runtime_->addServices(*supervisor_);
  ASSERT_TRUE(supervisor_->start());
  send(qa_, "a-1");
  EXPECT_TRUE(stored("a-1", 10'000));

  configure({qa_, qb_});
  auto added = runtime_->reload("test");
  ASSERT_TRUE(added.ok) << (added.problems.empty() ? "" : added.problems[0]);
  EXPECT_EQ(strings(added.restarted.at("sqsStarted")), Names{qb_});
  EXPECT_EQ(strings(added.restarted.at("sqsStopped")), Names{});
  EXPECT_EQ(strings(added.running.at("sqs")), (Names{qa_, qb_}));
  send(qb_, "b-1");
  send(qa_, "a-2");  // qa's poller kept polling through the reload
  EXPECT_TRUE(stored("b-1", 10'000));
  EXPECT_TRUE(stored("a-2", 10'000));

  configure({qb_});
  auto removed = runtime_->reload("test");
  ASSERT_TRUE(removed.ok);
  EXPECT_EQ(strings(removed.restarted.at("sqsStopped")), Names{qa_});
  EXPECT_EQ(strings(removed.restarted.at("sqsStarted")), Names{});
  // qa's poller finishes the long poll it was in (≤ 1 s here), then stops polling.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  send(qa_, "a-3");
  send(qb_, "b-2");
  EXPECT_TRUE(stored("b-2", 10'000));
  EXPECT_FALSE(stored("a-3", 2'000));
  supervisor_->stop();
}

}  // namespace
}  // namespace riposte::cli
