// What `riposte serve` runs and its reload: a whole directory swapped in only when all of it is
// valid and applicable; sinks and queues restarted only when their configuration changed; a
// changed store or listen address refused; every problem named with its file and line.
#include "cli/serve_runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace riposte::cli {
namespace {

namespace fs = std::filesystem;

const char* kRecordRule = R"(name: record-app
event_pattern:
  source: ["my.app"]
)";

const char* kNewRule = R"(name: record-new
event_pattern:
  source: ["new.app"]
)";

class ServeRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-serve-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(config() / "rules");
    fs::create_directories(config() / "playbooks");
    write("rules/record-app.yaml", kRecordRule);
    yaml_ = "store: sqlite://" + (dir_ / "a.db").string() + "\nlisten: 127.0.0.1:0\n";
    write("riposte.yaml", yaml_);
  }
  void TearDown() override {
    supervisor_.reset();
    runtime_.reset();
    fs::remove_all(dir_);
  }

  fs::path config() const { return dir_ / "c"; }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream(config() / rel) << text;
  }

  void start(ServeOptions opt = {}) {
    opt.config_dir = config().string();
    opt.engine.worker_id = "test";
    opt.sinks.poll_interval = std::chrono::milliseconds(20);
    LoadResult loaded = opt.loader(opt.config_dir);
    ASSERT_TRUE(loaded.config) << (loaded.problems.empty() ? "" : loaded.problems[0]);
    runtime_ = std::make_unique<ServeRuntime>(std::move(opt), std::move(*loaded.config));
    supervisor_ = std::make_unique<Supervisor>();
    runtime_->addServices(*supervisor_);
    auto r = supervisor_->start();
    ASSERT_TRUE(r) << r.error().str();
  }

  std::vector<std::string> matching(const std::string& source) {
    auto m = runtime_->engine()->matchRules(R"({"id":"e","source":")" + source +
                                            R"(","detail-type":"x","detail":{}})");
    EXPECT_TRUE(m) << m.error().str();
    return m ? *m : std::vector<std::string>{};
  }

  static std::vector<std::string> names(const json::value& v) {
    std::vector<std::string> out;
    for (const auto& e : v.as_array()) out.emplace_back(e.as_string());
    return out;
  }

  fs::path dir_;
  std::string yaml_;
  std::unique_ptr<ServeRuntime> runtime_;
  std::unique_ptr<Supervisor> supervisor_;
};

using Names = std::vector<std::string>;

TEST_F(ServeRuntimeTest, AValidDirectoryIsSwappedIn) {
  start();
  EXPECT_EQ(matching("new.app"), Names{});
  write("rules/record-new.yaml", kNewRule);
  auto r = runtime_->reload("test");
  ASSERT_TRUE(r.ok) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_EQ(r.running.at("rules").to_number<int64_t>(), 2);
  EXPECT_EQ(matching("new.app"), Names{"record-new"});
  EXPECT_EQ(matching("my.app"), Names{"record-app"});
  EXPECT_EQ(runtime_->engine()->config()->rules.size(), 2u);
  EXPECT_EQ(r.running.at("listen").as_string(), "127.0.0.1:" + std::to_string(runtime_->port()));
}

TEST_F(ServeRuntimeTest, ADirectoryWithAProblemChangesNothingAndNamesEveryProblem) {
  start();
  write("rules/record-new.yaml", kNewRule);  // valid, but in a directory that is not
  write("rules/bad.yaml",
        "name: bad\nevent_pattern:\n  detail:\n    severity: [{\"numeric\": [\">\", 0, \">\", "
        "0]}]\n");
  write("rules/worse.yaml", "name: worse\nevent_pattern: 7\n");
  auto r = runtime_->reload("test");
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 2u);
  std::string all = r.problems[0] + "\n" + r.problems[1];
  EXPECT_EQ(r.problems[0], config().string() +
                               "/rules/bad.yaml:4:16: event_pattern.detail.severity[0]: Bad "
                               "numeric range operator: >")
      << all;
  EXPECT_EQ(r.problems[1], config().string() +
                               "/rules/worse.yaml:2:16: event_pattern: must be an EventBridge "
                               "event pattern (a mapping, or its JSON text)")
      << all;
  EXPECT_EQ(matching("new.app"), Names{});  // the running configuration stays, whole
  EXPECT_EQ(r.running.at("rules").to_number<int64_t>(), 1);
  // Fixed: the next reload takes all of it.
  fs::remove(config() / "rules/bad.yaml");
  fs::remove(config() / "rules/worse.yaml");
  EXPECT_TRUE(runtime_->reload("test").ok);
  EXPECT_EQ(matching("new.app"), Names{"record-new"});
}

TEST_F(ServeRuntimeTest, AChangedStoreOrListenAddressIsRefused) {
  start();
  write("riposte.yaml", "store: sqlite://" + (dir_ / "b.db").string() + "\nlisten: 127.0.0.1:1\n");
  write("rules/record-new.yaml", kNewRule);
  auto r = runtime_->reload("test");
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 2u);
  const std::string yaml = config().string() + "/riposte.yaml";
  EXPECT_EQ(r.problems[0].rfind(yaml + ":1:8: store: changed from 'sqlite://", 0), 0u)
      << r.problems[0];
  EXPECT_NE(r.problems[0].find("restart it"), std::string::npos);
  EXPECT_EQ(r.problems[1].rfind(yaml + ":2:9: listen: changed from '127.0.0.1:0' to "
                                       "'127.0.0.1:1'",
                                0),
            0u)
      << r.problems[1];
  EXPECT_EQ(matching("new.app"), Names{});
}

// --store and --listen override the file at every reload too: a file that differs from the
// flags is no change.
TEST_F(ServeRuntimeTest, FlagsOverrideTheFileAtEveryReload) {
  ServeOptions opt;
  opt.store_url = "sqlite://" + (dir_ / "flag.db").string();
  opt.listen = "127.0.0.1:0";
  start(opt);
  write("riposte.yaml", "store: sqlite://" + (dir_ / "b.db").string() + "\nlisten: 127.0.0.1:1\n");
  auto r = runtime_->reload("test");
  EXPECT_TRUE(r.ok) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_EQ(r.running.at("store").as_string(), opt.store_url);
}

TEST_F(ServeRuntimeTest, SinksRestartOnlyWhenTheirConfigurationChanged) {
  const std::string a = (dir_ / "a.jsonl").string(), b = (dir_ / "b.jsonl").string();
  write("riposte.yaml", yaml_ + "sinks:\n  - {type: file, name: a, path: " + a + "}\n");
  start();
  EXPECT_EQ(names(runtime_->running().at("sinks")), Names{"a"});
  // Unchanged: nothing restarts.
  auto same = runtime_->reload("test");
  ASSERT_TRUE(same.ok);
  EXPECT_EQ(names(same.restarted.at("sinksStarted")), Names{});
  EXPECT_EQ(names(same.restarted.at("sinksStopped")), Names{});
  // A sink added: only it starts.
  write("riposte.yaml", yaml_ + "sinks:\n  - {type: file, name: a, path: " + a +
                            "}\n  - {type: file, name: b, path: " + b + "}\n");
  auto added = runtime_->reload("test");
  ASSERT_TRUE(added.ok);
  EXPECT_EQ(names(added.restarted.at("sinksStarted")), Names{"b"});
  EXPECT_EQ(names(added.restarted.at("sinksStopped")), Names{});
  EXPECT_EQ(names(added.running.at("sinks")), (Names{"a", "b"}));
  // One changed, one removed.
  write("riposte.yaml",
        yaml_ + "sinks:\n  - {type: file, name: a, path: " + (dir_ / "a2.jsonl").string() + "}\n");
  auto changed = runtime_->reload("test");
  ASSERT_TRUE(changed.ok);
  EXPECT_EQ(names(changed.restarted.at("sinksStarted")), Names{"a"});
  EXPECT_EQ(names(changed.restarted.at("sinksStopped")), (Names{"a", "b"}));
  EXPECT_EQ(names(changed.running.at("sinks")), Names{"a"});
  // A sink that cannot be built keeps the whole reload out.
  write("riposte.yaml", yaml_ + "sinks:\n  - {type: carrier-pigeon, name: p}\n");
  write("rules/record-new.yaml", kNewRule);
  auto bad = runtime_->reload("test");
  EXPECT_FALSE(bad.ok);
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_EQ(bad.problems[0],
            config().string() +
                "/riposte.yaml:4:12: sinks[0].type: unknown type "
                "'carrier-pigeon' (known: file, sns, splunk_hec, syslog, webhook)");
  EXPECT_EQ(names(runtime_->running().at("sinks")), Names{"a"});
  EXPECT_EQ(matching("new.app"), Names{});
}

// The audit log reaches a sink started by a reload (its durable cursor starts it from the
// beginning), and an event ingested after the reload is matched by the new rules.
TEST_F(ServeRuntimeTest, ASinkAddedByAReloadDeliversTheAuditLog) {
  start();
  const std::string path = (dir_ / "audit.jsonl").string();
  write("riposte.yaml", yaml_ + "sinks:\n  - {type: file, name: audit, path: " + path + "}\n");
  write("rules/record-new.yaml", kNewRule);
  ASSERT_TRUE(runtime_->reload("test").ok);
  auto evs =
      sources::parseEventsBody(R"({"id":"e-new","source":"new.app","detail-type":"x","detail":{}})",
                               SystemClock::instance());
  ASSERT_TRUE(evs);
  ASSERT_TRUE(runtime_->engine()->ingest(*evs, "test"));
  ASSERT_TRUE(runtime_->engine()->waitIdle(10'000));
  auto list = runtime_->engine()->listIncidents(10, 0);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->at("incidents").as_array().size(), 1u);
  EXPECT_EQ(list->at("incidents").as_array()[0].at("rule").as_string(), "record-new");
  std::string text;
  for (int i = 0; i < 250 && text.find("record-new") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  EXPECT_NE(text.find("record-new"), std::string::npos) << text;
}

TEST_F(ServeRuntimeTest, AQueueWithoutAwsCredentialsIsRefused) {
  start();
  write("riposte.yaml",
        yaml_ + "sources:\n  sqs:\n    - queue_url: http://127.0.0.1:1/123456789012/q\n");
  auto r = runtime_->reload("test");
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("sources: sources.sqs needs AWS credentials"), std::string::npos)
      << r.problems[0];
  EXPECT_EQ(names(runtime_->running().at("sqs")), Names{});
}

TEST_F(ServeRuntimeTest, AMissingDirectoryIsOneProblemNamingIt) {
  start();
  fs::rename(config(), dir_ / "moved");
  auto r = runtime_->reload("test");
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0], config().string() + ": configuration directory not found");
  EXPECT_EQ(matching("my.app"), Names{"record-app"});
}

// A service that cannot start (the address is taken) stops the ones started before it.
TEST_F(ServeRuntimeTest, AFailedStartTearsDownWhatStarted) {
  start();
  std::string taken = "127.0.0.1:" + std::to_string(runtime_->port());
  ServeOptions opt;
  opt.config_dir = config().string();
  opt.listen = taken;
  opt.store_url = "sqlite://" + (dir_ / "other.db").string();
  LoadResult loaded = loadChecked(opt.config_dir);
  ASSERT_TRUE(loaded.config);
  ServeRuntime second(std::move(opt), std::move(*loaded.config));
  Supervisor sup;
  second.addServices(sup);
  auto r = sup.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("http: ", 0), 0u) << r.error().str();
  EXPECT_EQ(second.engine(), nullptr);  // the engine was stopped and released again
}

TEST(RedactUrl, HidesPasswords) {
  EXPECT_EQ(redactUrl("postgresql://riposte:s3cret@db:5432/riposte"),
            "postgresql://riposte:***@db:5432/riposte");
  EXPECT_EQ(redactUrl("postgresql://db/riposte?user=r&password=s3cret&sslmode=require"),
            "postgresql://db/riposte?user=r&password=***&sslmode=require");
  EXPECT_EQ(redactUrl("sqlite:///var/lib/riposte/riposte.db"),
            "sqlite:///var/lib/riposte/riposte.db");
  EXPECT_EQ(redactUrl("postgresql://riposte@db/x"), "postgresql://riposte@db/x");
}

}  // namespace
}  // namespace riposte::cli
