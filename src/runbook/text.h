#pragma once
// Small text and JSON helpers the runbook's renderers share (runbook/*.cpp only).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace riposte::runbook {

const json::object* asObject(const json::value* v);
// The member `key` of `o`, nullptr when absent.
const json::value* member(const json::object& o, std::string_view key);
// The string member `key` of `o`, `def` when absent or not a string.
std::string stringMember(const json::object& o, std::string_view key, std::string def = "");

// A number in its shortest form ("7", "1.5").
std::string numberText(const json::value& v);
// JSON text of a scalar (strings quoted), numbers in their shortest form.
std::string valueText(const json::value& v);

std::string joinStrings(const std::vector<std::string>& v, std::string_view sep);
// "a", "a or b", "a, b or c" (`last` = "or").
std::string joinWords(const std::vector<std::string>& v, std::string_view last);
// At most `max_chars` code points (UTF-8), "…" added when cut.
std::string truncateText(const std::string& s, std::size_t max_chars);
std::size_t utf8Length(const std::string& s);
bool startsWith(std::string_view s, std::string_view p);
bool endsWith(std::string_view s, std::string_view p);
// "detail.resource.instanceId" → "instanceId".
std::string lastSegment(const std::string& dotted);
std::string capitalize(std::string s);

std::optional<std::string> readTextFile(const std::filesystem::path& p);

// A Task state's "Parameters" (or JSONata "Arguments") object, nullptr when it has none.
const json::object* taskParameters(const json::object& task);

}  // namespace riposte::runbook
