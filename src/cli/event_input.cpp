#include "cli/event_input.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "core/ids.h"
#include "sources/samples.h"

namespace riposte::cli {

// One JSON object (EventBridge event, bare GuardDuty finding or ASFF finding) → event.
Result<sources::NormalizedEvent> toEvent(const json::object& o, const Clock& clock,
                                         const std::string& where) {
  if (sources::isAsffFinding(o)) {
    json::object ev =
        sources::wrapAsffFindings(json::array{o}, newUuid(), formatIso8601(clock.now(), false));
    return sources::normalizeEvent(ev, clock, where);
  }
  if (sources::isBareGuardDutyFinding(o)) return sources::wrapGuardDutyFinding(o, clock);
  return sources::normalizeEvent(o, clock, where);
}

Result<std::string> readAll(const std::string& path) {
  if (path == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("NotFound", "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A file holding one JSON document (an object or an array of them) or JSON lines.
Result<std::vector<sources::NormalizedEvent>> readEvents(const std::string& path,
                                                         const Clock& clock) {
  auto text = readAll(path);
  if (!text) return fail(text.error());
  std::vector<sources::NormalizedEvent> out;
  auto whole = parseJson(*text, 512);
  std::vector<std::pair<json::value, std::string>> items;
  if (whole) {
    if (whole->is_array()) {
      int i = 0;
      for (auto& v : whole->get_array())
        items.emplace_back(v, path + "[" + std::to_string(i++) + "]");
    } else {
      items.emplace_back(*whole, path);
    }
  } else {
    std::istringstream lines(*text);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto v = parseJson(line, 512);
      std::string where = path + ":" + std::to_string(n);
      if (!v) return fail("InvalidJson", where + ": " + v.error().message);
      items.emplace_back(std::move(*v), where);
    }
  }
  for (auto& [v, where] : items) {
    if (!v.is_object()) return fail("InvalidInput", where + ": not a JSON object");
    auto ev = toEvent(v.get_object(), clock, where);
    if (!ev) return fail(ev.error());
    out.push_back(std::move(*ev));
  }
  if (out.empty()) return fail("InvalidInput", path + ": no finding or event in it");
  return out;
}

}  // namespace riposte::cli
