#pragma once
// JSON helpers over Boost.JSON: parsing with limits, typed look-ups, serialisation.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace riposte {

namespace json = boost::json;

// Parses `text` as one JSON value. Rejects nesting deeper than `max_depth` and trailing
// garbage. The error message names the line/column of the problem ("InvalidJson").
Result<json::value> parseJson(std::string_view text, int max_depth = 64);

// Compact serialisation.
std::string toJson(const json::value& v);
// Indented serialisation for humans (2 spaces).
std::string toPrettyJson(const json::value& v);

// Looks up a member by dotted path ("detail.resource.instanceDetails.instanceId");
// nullptr when any step is missing or not an object.
const json::value* findPath(const json::value& v, std::string_view dotted);

// Returns the string at `dotted` or nullopt.
std::optional<std::string> stringAt(const json::value& v, std::string_view dotted);
// Returns the number at `dotted` (int, uint or double) or nullopt.
std::optional<double> numberAt(const json::value& v, std::string_view dotted);

// Reads any JSON number as double.
std::optional<double> asNumber(const json::value& v);

}  // namespace riposte
