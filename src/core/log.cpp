#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <cstdio>

namespace riposte {

namespace {
std::atomic<bool> g_json{true};
}

void setupLogging(const std::string& level, const std::string& format) {
  static auto logger = spdlog::stderr_logger_mt("riposte");
  spdlog::set_default_logger(logger);
  g_json = format != "text";
  if (g_json) {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_level(spdlog::level::from_str(level));
}

void logLine(spdlog::level::level_enum lvl, std::string_view msg, LogFields fields) {
  if (!spdlog::should_log(lvl)) return;
  std::string line;
  if (g_json) {
    line = "\"msg\":\"" + jsonEscape(msg) + "\"";
    for (const auto& [k, v] : fields) {
      line += ",\"" + jsonEscape(k) + "\":\"" + jsonEscape(v) + "\"";
    }
  } else {
    line = std::string(msg);
    for (const auto& [k, v] : fields) {
      line += " " + std::string(k) + "=" + std::string(v);
    }
  }
  spdlog::log(lvl, "{}", line);
}

std::string jsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace riposte
