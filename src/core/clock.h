#pragma once
// Time is injected: production code asks a Clock, tests use ManualClock.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace riposte {

using SystemTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (used for timestamps, Wait states, timers).
  virtual SystemTime now() const = 0;
  // Milliseconds since the Unix epoch.
  int64_t nowMillis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
  static SystemClock& instance();
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_millis = 1'700'000'000'000) : millis_(start_millis) {}
  SystemTime now() const override { return SystemTime(std::chrono::milliseconds(millis_.load())); }
  void advance(std::chrono::milliseconds d) { millis_ += d.count(); }
  void set(int64_t millis) { millis_ = millis; }

 private:
  std::atomic<int64_t> millis_;
};

// RFC 3339 / ISO 8601 UTC with millisecond precision: 2026-11-23T09:00:00.123Z
std::string formatIso8601(SystemTime t, bool with_millis = true);
std::string formatIso8601Millis(int64_t epoch_millis, bool with_millis = true);
// Parses RFC 3339 timestamps ("2026-11-23T09:00:00Z", fractional seconds and offsets
// allowed). Returns false on anything else.
bool parseIso8601(const std::string& s, int64_t& epoch_millis);

}  // namespace riposte
