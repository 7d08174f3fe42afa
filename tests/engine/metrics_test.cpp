#include "engine/metrics.h"

#include <gtest/gtest.h>

namespace riposte::engine {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.declare("riposte_events_total", "Events.", "counter");
  m.declare("riposte_latency_seconds", "Latency.", "histogram", {0.1, 1});
  m.inc("riposte_events_total", {{"rule", "a\"b"}});
  m.inc("riposte_events_total", {{"rule", "a\"b"}}, 2);
  m.observe("riposte_latency_seconds", {{"action", "x"}}, 0.5);
  m.observe("riposte_latency_seconds", {{"action", "x"}}, 0.05);
  std::string t = m.render();
  EXPECT_NE(t.find("# TYPE riposte_events_total counter\n"), std::string::npos) << t;
  EXPECT_NE(t.find("riposte_events_total{rule=\"a\\\"b\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("riposte_latency_seconds_bucket{action=\"x\",le=\"0.1\"} 1\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("riposte_latency_seconds_bucket{action=\"x\",le=\"1\"} 2\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("riposte_latency_seconds_bucket{action=\"x\",le=\"+Inf\"} 2\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("riposte_latency_seconds_count{action=\"x\"} 2\n"), std::string::npos) << t;
}

TEST(Metrics, SetAllZeroesTheSeriesItDoesNotName) {
  Metrics m;
  m.declare("riposte_executions", "Executions by status.", "gauge");
  m.setAll("riposte_executions", {{{{"status", "RUNNING"}}, 16}, {{{"status", "SUCCEEDED"}}, 1}});
  std::string t = m.render();
  EXPECT_NE(t.find("riposte_executions{status=\"RUNNING\"} 16\n"), std::string::npos) << t;
  m.setAll("riposte_executions", {{{{"status", "SUCCEEDED"}}, 17}});
  t = m.render();
  EXPECT_NE(t.find("riposte_executions{status=\"RUNNING\"} 0\n"), std::string::npos) << t;
  EXPECT_NE(t.find("riposte_executions{status=\"SUCCEEDED\"} 17\n"), std::string::npos) << t;
  m.setAll("riposte_executions", {});
  t = m.render();
  EXPECT_NE(t.find("riposte_executions{status=\"SUCCEEDED\"} 0\n"), std::string::npos) << t;
}

}  // namespace
}  // namespace riposte::engine
