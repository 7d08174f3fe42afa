#include "engine/metrics.h"

#include <cmath>
#include <sstream>

namespace riposte::engine {

namespace {
std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
std::string num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream os;
  os.precision(15);
  os << v;
  return os.str();
}
}  // namespace

void Metrics::declare(const std::string& name, const std::string& help, const std::string& type,
                      std::vector<double> buckets) {
  std::lock_guard lk(mu_);
  auto& f = families_[name];
  f.help = help;
  f.type = type;
  f.buckets = std::move(buckets);
}

std::string Metrics::renderLabels(const Labels& labels) {
  std::string s;
  for (const auto& [k, v] : labels) {
    s += (s.empty() ? "" : ",") + k + "=\"" + escapeLabel(v) + "\"";
  }
  return s;
}

Metrics::Series& Metrics::series(const std::string& name, const Labels& labels) {
  auto& f = families_[name];
  if (f.type.empty()) f.type = "gauge";
  auto& s = f.series[renderLabels(labels)];
  if (f.type == "histogram" && s.bucket_counts.size() != f.buckets.size())
    s.bucket_counts.assign(f.buckets.size(), 0);
  return s;
}

void Metrics::inc(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lk(mu_);
  series(name, labels).value += by;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lk(mu_);
  series(name, labels).value = value;
}

void Metrics::setAll(const std::string& name,
                     const std::vector<std::pair<Labels, double>>& series) {
  std::lock_guard lk(mu_);
  for (auto& [key, s] : families_[name].series) s.value = 0;
  for (const auto& [labels, value] : series) this->series(name, labels).value = value;
}

void Metrics::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lk(mu_);
  auto& f = families_[name];
  auto& s = series(name, labels);
  for (std::size_t i = 0; i < f.buckets.size(); ++i) {
    if (value <= f.buckets[i]) ++s.bucket_counts[i];
  }
  s.sum += value;
  ++s.count;
}

std::string Metrics::render() const {
  std::lock_guard lk(mu_);
  std::ostringstream os;
  for (const auto& [name, f] : families_) {
    os << "# HELP " << name << " " << f.help << "\n# TYPE " << name << " " << f.type << "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type == "histogram") {
        std::string sep = labels.empty() ? "" : ",";
        for (std::size_t i = 0; i < f.buckets.size(); ++i) {
          os << name << "_bucket{" << labels << sep << "le=\"" << num(f.buckets[i]) << "\"} "
             << s.bucket_counts[i] << "\n";
        }
        os << name << "_bucket{" << labels << sep << "le=\"+Inf\"} " << s.count << "\n";
        std::string l = labels.empty() ? "" : "{" + labels + "}";
        os << name << "_sum" << l << " " << num(s.sum) << "\n";
        os << name << "_count" << l << " " << s.count << "\n";
      } else {
        os << name << (labels.empty() ? "" : "{" + labels + "}") << " " << num(s.value) << "\n";
      }
    }
  }
  return os.str();
}

}  // namespace riposte::engine
