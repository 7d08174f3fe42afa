#pragma once
// Process metrics in Prometheus' text exposition format (there is no prometheus-cpp package;
// the format is small). Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace riposte::engine {

class Metrics {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Declares a metric (name, HELP text, "counter" | "gauge" | "histogram"). Histograms use
  // `buckets` (upper bounds, seconds).
  void declare(const std::string& name, const std::string& help, const std::string& type,
               std::vector<double> buckets = {});
  void inc(const std::string& name, const Labels& labels = {}, double by = 1);
  void set(const std::string& name, const Labels& labels, double value);
  // Sets a gauge family to what is true now: each of `series` to its value, and every series
  // of the family not among them to 0 (a status whose count fell to zero reads 0, not its last
  // value). One lock: a concurrent render() sees the family before or after, never between.
  void setAll(const std::string& name, const std::vector<std::pair<Labels, double>>& series);
  void observe(const std::string& name, const Labels& labels, double value);

  // The text format, every declared metric with its HELP and TYPE lines.
  std::string render() const;

 private:
  struct Series {
    double value = 0;
    std::vector<uint64_t> bucket_counts;
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string help, type;
    std::vector<double> buckets;
    std::map<std::string, Series> series;  // key: rendered label set
  };
  static std::string renderLabels(const Labels& labels);
  Series& series(const std::string& name, const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace riposte::engine
