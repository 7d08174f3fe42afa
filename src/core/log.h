#pragma once
// Diagnostic logs (not the audit trail): spdlog on stderr, one JSON object per line by
// default, carrying incident and execution ids where there are some.

#include <spdlog/spdlog.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace riposte {

// Configures the default logger: level ("debug", "info", "warn", "error", "off") and
// format ("json" or "text"). Safe to call more than once.
void setupLogging(const std::string& level = "info", const std::string& format = "json");

using LogFields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Writes one structured log line: {"time","level","msg", fields...}.
void logLine(spdlog::level::level_enum lvl, std::string_view msg, LogFields fields = {});
inline void logInfo(std::string_view msg, LogFields f = {}) {
  logLine(spdlog::level::info, msg, f);
}
inline void logWarn(std::string_view msg, LogFields f = {}) {
  logLine(spdlog::level::warn, msg, f);
}
inline void logError(std::string_view msg, LogFields f = {}) {
  logLine(spdlog::level::err, msg, f);
}
inline void logDebug(std::string_view msg, LogFields f = {}) {
  logLine(spdlog::level::debug, msg, f);
}

// Escapes a string for embedding in a JSON string literal.
std::string jsonEscape(std::string_view s);

}  // namespace riposte
